//! The compact syntax (SPEC.md §2–§5, §9): opcode lines, their grammar, the connection state
//! with its registers, the decoder, and the encoder with its planner and lookahead.

pub(crate) mod decode;
pub(crate) mod edit;
pub(crate) mod encode;
pub(crate) mod op;
pub(crate) mod state;
pub(crate) mod statics;
pub(crate) mod syntax;
pub(crate) mod table;
