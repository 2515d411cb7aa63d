//! One module per subcommand.

pub mod audit;
pub mod ca;
pub mod data_dir;
pub mod dev_token;
pub mod quote;
pub mod serve;
pub mod sign;
pub mod verify;
