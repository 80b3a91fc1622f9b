//! Small value types shared by many modules. Nothing here does I/O.

pub mod chat;
pub mod duration;
pub mod request;
pub mod resource;
