// The Supervisor module; see ../../../shared/ARCHITECTURE.md for its responsibility.
enum SupervisorModule {}
