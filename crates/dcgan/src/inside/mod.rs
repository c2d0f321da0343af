//! Looking inside the networks (paper section 6.2 and 6.3.1).
//!
//! - [`guided`]: guided backpropagation of discriminator features, written out layer by layer.
//! - [`forget`]: "forgetting" an object by dropping the generator feature maps a logistic
//!   regression ties to boxes drawn around it.

pub mod forget;
pub mod guided;
