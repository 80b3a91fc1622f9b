//! Where official clients found the simulator more permissive than the real services, and what
//! it now refuses or sends as they do; and the simulator over HTTPS, as those clients need it.

mod block_kit;
mod bot_echo;
mod connector;
mod graph;
mod tls;
