//! Where official clients found the simulator more permissive than the real services, and what
//! it now refuses as they do.

mod block_kit;
mod graph;
