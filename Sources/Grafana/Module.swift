// The Grafana module; see ../../../shared/ARCHITECTURE.md for its responsibility.
enum GrafanaModule {}
