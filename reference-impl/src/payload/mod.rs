//! Payload codecs shared by envelopes: canonical base64 and Arrow IPC streams.
//! They know nothing of envelopes or dtypes.

pub(crate) mod arrow;
pub(crate) mod base64;
pub(crate) mod ipc;
