// The Orchestration module; see ../../../shared/ARCHITECTURE.md for its responsibility.
enum OrchestrationModule {}
