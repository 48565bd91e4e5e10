//! Brink telemetry (being written).
