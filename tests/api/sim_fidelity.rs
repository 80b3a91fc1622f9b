//! Where official clients found the simulator more permissive than the real services, and what
//! it now refuses or sends as they do.

mod block_kit;
mod bot_echo;
mod connector;
mod graph;
