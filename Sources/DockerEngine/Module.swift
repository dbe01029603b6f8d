// The DockerEngine module; see ../../../shared/ARCHITECTURE.md for its responsibility.
enum DockerEngineModule {}
