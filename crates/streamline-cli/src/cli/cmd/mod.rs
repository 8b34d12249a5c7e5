//! One module per subcommand, each with `run(args) -> anyhow::Result<()>`.

pub mod bench;
pub mod decode;
pub mod encode;
pub mod generate;
pub mod report;
pub mod serve;
