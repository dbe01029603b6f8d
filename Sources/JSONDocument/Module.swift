// The JSONDocument module; see ../../../shared/ARCHITECTURE.md for its responsibility.
enum JSONDocumentModule {}
