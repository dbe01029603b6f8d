// The PrometheusAPI module; see ../../../shared/ARCHITECTURE.md for its responsibility.
enum PrometheusAPIModule {}
