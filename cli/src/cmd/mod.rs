//! One module per subcommand.

pub mod ca;
pub mod dev_token;
pub mod serve;
