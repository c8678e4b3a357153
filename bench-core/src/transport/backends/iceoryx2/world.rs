//! One channel's iceoryx2 world: the configuration that puts its files in
//! the channel's private directory and its shared memory under the
//! channel's name prefix, the node each process joins it with, and the
//! service with the channel's settings, the same in every process.

use std::path::Path;
use std::sync::Once;

use iceoryx2::prelude::{
    Config, FileName, LogLevel, Node, NodeBuilder, Path as IoxPath, SemanticString, ServiceName, SignalHandlingMode,
    set_log_level,
};
use iceoryx2::service::Service;
use iceoryx2::service::port_factory::publish_subscribe::PortFactory;

use crate::ring::Capacity;
use crate::transport::TransportError;
use crate::transport::backend::{OneWaySpec, Source};

/// The one service of a channel's world.
const SERVICE: &str = "ringside/channel";

/// Most bytes the subscriber buffer of an `unbounded` channel takes (the
/// channel layer spills what does not fit): 16 MiB, at most 256 samples.
const UNBOUNDED_BYTES: usize = 16 << 20;
const UNBOUNDED_SAMPLES: usize = 256;

/// Where a channel's world lives: its directory and its name prefix, as
/// the address carries them.
#[derive(Debug, Clone)]
pub(crate) struct Place {
    pub(super) root: String,
    pub(super) prefix: String,
}

impl Place {
    /// Read from an address.
    pub(crate) fn from_source(src: &Source<'_>) -> Result<Self, TransportError> {
        Ok(Self { root: src.param("root")?.to_owned(), prefix: src.param("prefix")?.to_owned() })
    }

    /// The iceoryx2 configuration of this world.
    fn config(&self) -> Result<Config, TransportError> {
        let bad = |what: &str| TransportError::Protocol(format!("iceoryx2 cannot take the channel's {what}"));
        let mut config = Config::default();
        config.global.set_root_path(&IoxPath::new(self.root.as_bytes()).map_err(|_| bad("directory"))?);
        config.global.prefix = FileName::new(self.prefix.as_bytes()).map_err(|_| bad("name prefix"))?;
        Ok(config)
    }

    /// Join this world: a node of this process, with iceoryx2's signal
    /// handling off (ringside's own removes the channel's objects).
    pub(super) fn node<S: Service>(&self) -> Result<Node<S>, TransportError> {
        quiet();
        NodeBuilder::new()
            .config(&self.config()?)
            .signal_handling_mode(SignalHandlingMode::Disabled)
            .create::<S>()
            .map_err(|e| TransportError::Protocol(format!("iceoryx2 node: {e:?}")))
    }
}

/// The subscriber buffer, in samples, that realises `capacity` (the
/// channel layer hands `rendezvous` over as `bounded:1`).
pub(super) fn buffer(spec: &OneWaySpec) -> usize {
    match spec.capacity {
        Capacity::Bounded(n) => n,
        Capacity::Rendezvous => 1,
        Capacity::Unbounded => (UNBOUNDED_BYTES / spec.message_size.max(1)).clamp(1, UNBOUNDED_SAMPLES),
    }
}

/// Create the channel's service (`create`), or open it (`!create`), with
/// the channel's settings: one publisher, one subscriber, no history, no
/// overflow, a subscriber buffer of [`buffer`] samples, one sample
/// borrowed by the subscriber at a time.
pub(super) fn service<S: Service>(
    node: &Node<S>,
    spec: &OneWaySpec,
    create: bool,
) -> Result<PortFactory<S, [u8], ()>, TransportError> {
    let name: ServiceName =
        SERVICE.try_into().map_err(|e| TransportError::Protocol(format!("iceoryx2 service name: {e:?}")))?;
    let builder = node
        .service_builder(&name)
        .publish_subscribe::<[u8]>()
        .max_publishers(1)
        .max_subscribers(1)
        // The creator and the two ends' processes.
        .max_nodes(3)
        .history_size(0)
        .enable_safe_overflow(false)
        .subscriber_max_buffer_size(buffer(spec))
        .subscriber_max_borrowed_samples(1);
    let made = if create {
        builder.create().map_err(|e| format!("{e:?}"))
    } else {
        builder.open().map_err(|e| format!("{e:?}"))
    };
    made.map_err(|e| TransportError::Protocol(format!("iceoryx2 service: {e}")))
}

/// iceoryx2 logs what it fails at on the terminal; ringside reports every
/// failure itself, as one line. Only its fatal messages are kept.
fn quiet() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| set_log_level(LogLevel::Fatal));
}

/// `dir` as iceoryx2's root path takes it.
pub(super) fn root_of(dir: &Path) -> Option<String> {
    crate::transport::backends::path_param(dir).map(str::to_owned)
}
