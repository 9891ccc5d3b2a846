//! The run state of a container, as the engine reports it: plain data shared by the engine (which
//! parses it from the API), the planner (which reads it in `Observed`) and the app layer.
//!
//! Must not import anything else of the crate.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A container's run state (`created`, `running`, ... as the engine spells it).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum ContainerState {
    #[default]
    Created,
    Running,
    Paused,
    Restarting,
    Removing,
    Exited,
    Dead,
    /// A state string this code does not know.
    Other(String),
}

impl ContainerState {
    /// Parses the engine's spelling (any case); an unknown word is kept as [`ContainerState::Other`].
    pub fn parse(s: &str) -> ContainerState {
        match s.to_ascii_lowercase().as_str() {
            "created" => ContainerState::Created,
            "running" => ContainerState::Running,
            "paused" => ContainerState::Paused,
            "restarting" => ContainerState::Restarting,
            "removing" => ContainerState::Removing,
            "exited" => ContainerState::Exited,
            "dead" => ContainerState::Dead,
            _ => ContainerState::Other(s.to_string()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            ContainerState::Created => "created",
            ContainerState::Running => "running",
            ContainerState::Paused => "paused",
            ContainerState::Restarting => "restarting",
            ContainerState::Removing => "removing",
            ContainerState::Exited => "exited",
            ContainerState::Dead => "dead",
            ContainerState::Other(s) => s,
        }
    }

    /// Running, paused or restarting: the container has (or will have) a process; for `up`,
    /// nothing to start.
    pub fn is_up(&self) -> bool {
        matches!(
            self,
            ContainerState::Running | ContainerState::Paused | ContainerState::Restarting
        )
    }
}

impl fmt::Display for ContainerState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ContainerState {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ContainerState {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Ok(ContainerState::parse(&s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_engine_spelling_and_keeps_unknown_words() {
        assert_eq!(ContainerState::parse("running"), ContainerState::Running);
        assert_eq!(ContainerState::parse("Exited"), ContainerState::Exited);
        assert_eq!(
            ContainerState::parse("zombie"),
            ContainerState::Other("zombie".into())
        );
        assert_eq!(ContainerState::Paused.to_string(), "paused");
        assert!(ContainerState::Restarting.is_up());
        assert!(!ContainerState::Created.is_up());
    }
}
