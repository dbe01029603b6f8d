// The ContainerStats module; see ../../../shared/ARCHITECTURE.md for its responsibility.
enum ContainerStatsModule {}
