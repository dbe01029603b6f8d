#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

extension GPU {
    /// Where readings come from: NVML loaded once per process, or the reason it could not be.
    /// Loading is attempted once; a host without a driver answers `.unavailable` at every read
    /// without trying again, so callers can say "not available" once and move on.
    public struct Source: Sendable {
        public let nvml: (any NVML)?
        public let unavailable: Unavailable?

        public init(nvml: any NVML) {
            self.nvml = nvml
            self.unavailable = nil
        }

        public init(unavailable: Unavailable) {
            self.nvml = nil
            self.unavailable = unavailable
        }

        /// The host's NVML: `STACKPILOT_NVML_LIBRARY` when set (a path), else `libnvidia-ml.so.1`.
        public static func system() -> Source {
            let configured = getenv("STACKPILOT_NVML_LIBRARY").map { String(cString: $0) } ?? ""
            switch NVMLLibrary.load(library: configured.isEmpty ? NVMLLibrary.defaultLibrary : configured) {
            case .success(let nvml): return Source(nvml: nvml)
            case .failure(let reason): return Source(unavailable: reason)
            }
        }

        /// One pass over every device, or why there is none.
        public func read() -> Reading {
            if let nvml { return .available(GPU.snapshot(nvml)) }
            return .unavailable(unavailable ?? .libraryNotFound(library: NVMLLibrary.defaultLibrary, reason: "not loaded"))
        }
    }
}
