// The Doctor module; see ../../../shared/ARCHITECTURE.md for its responsibility.
enum DoctorModule {}
