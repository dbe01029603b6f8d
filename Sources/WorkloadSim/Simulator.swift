import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The state behind the endpoints: current faults, the leak, and the simulated GPU.
///
/// There is no GPU on the machines this runs on: `gpu_memory_*` are values of this stand-in. At
/// rest the simulated device holds the model weights (about 35% of its memory) plus a little per
/// in-flight inference; the `gpu_pressure` fault pins allocation at that fraction of the total.
public final class Simulator: Sendable {
    public let metrics: WorkloadMetrics
    public let gpuTotalMB: Double
    private let state: Mutex<State>

    /// Counts the bytes the leak's regions map; a region subtracts its own when it is unmapped.
    let leakLedger = LeakLedger()

    struct State {
        var faults: Faults
        var leak: [LeakedRegion] = []
        var inFlight = 0
    }

    public init(metrics: WorkloadMetrics, faults: Faults, gpuTotalMB: Double) {
        self.metrics = metrics
        self.gpuTotalMB = gpuTotalMB
        self.state = Mutex(State(faults: faults))
        refreshGPU()
    }

    public var faults: Faults {
        state.withLock { $0.faults }
    }

    /// Sets the faults; a leak fault turned off (0 MB per minute) gives back everything it held.
    public func setFaults(_ faults: Faults) {
        // The regions come out of the lock and are unmapped here, when the last reference goes.
        _ = state.withLock { state -> [LeakedRegion] in
            state.faults = faults
            guard faults.leakMBPerMinute == 0 else { return [] }
            defer { state.leak = [] }
            return state.leak
        }
        refreshGPU()
    }

    /// Bytes the leak fault holds mapped right now (the regions' own accounting, not RSS).
    public var leakedBytes: Int {
        leakLedger.bytes
    }

    /// Whether the next request should fail under the error-ratio fault.
    func shouldInjectError() -> Bool {
        let ratio = faults.errorRatio
        return ratio > 0 && Double.random(in: 0..<1) < ratio
    }

    /// Maps `bytes` and writes to every page so it counts towards RSS, then keeps it until the
    /// leak fault is turned off. Does nothing when the memory cannot be mapped, or when the fault
    /// was turned off meanwhile (then the region is unmapped at once).
    func leak(bytes: Int) {
        guard bytes > 0, let region = LeakedRegion(bytes: bytes, ledger: leakLedger) else { return }
        state.withLock { state in
            if state.faults.leakMBPerMinute > 0 { state.leak.append(region) }
        }
    }

    /// One tick of the leak fault, `seconds` after the previous one.
    func leakTick(seconds: Double) {
        let perMinute = faults.leakMBPerMinute
        guard perMinute > 0 else { return }
        leak(bytes: Int(perMinute * 1_048_576 * seconds / 60))
    }

    func beginInference() {
        state.withLock { $0.inFlight += 1 }
        refreshGPU()
    }

    func endInference() {
        state.withLock { $0.inFlight -= 1 }
        refreshGPU()
    }

    /// Recomputes the simulated GPU gauges from the load and the pressure fault.
    func refreshGPU() {
        let (pressure, inFlight) = state.withLock { ($0.faults.gpuPressure, $0.inFlight) }
        let allocated: Double
        if pressure > 0 {
            allocated = gpuTotalMB * pressure
        } else {
            let weights = gpuTotalMB * 0.35
            let activations = min(gpuTotalMB * 0.4, Double(inFlight) * gpuTotalMB * 0.02)
            allocated = weights + activations + Double.random(in: 0...(gpuTotalMB * 0.005))
        }
        // The caching allocator keeps a little more than is allocated, never more than the device has.
        let reserved = min(gpuTotalMB, allocated * 1.04 + 256)
        metrics.setGPU(allocatedMB: allocated.rounded(), reservedMB: reserved.rounded(), totalMB: gpuTotalMB)
    }

    /// Whether the simulated device is out of memory (pressure fault at 100%).
    var gpuExhausted: Bool { faults.gpuPressure >= 1 }

    /// The exposition text of all metrics.
    public func exposition() -> String {
        metrics.exposition(leakedBytes: leakedBytes)
    }
}

/// The leak's running total, kept by the regions themselves.
final class LeakLedger: Sendable {
    private let total = Atomic<Int>(0)

    var bytes: Int { total.load(ordering: .relaxed) }

    func add(_ bytes: Int) { total.add(bytes, ordering: .relaxed) }
    func remove(_ bytes: Int) { total.subtract(bytes, ordering: .relaxed) }
}

/// Anonymous memory mapped for the leak fault, unmapped in `deinit`, so that clearing the fault
/// returns it to the system at once (malloc could keep freed blocks in its heap).
///
/// `@unchecked Sendable` because of the raw pointer: it is safe since every property is immutable
/// and the memory is written only in `init`, before the region is shared, and never read after.
final class LeakedRegion: @unchecked Sendable {
    private let base: UnsafeMutableRawPointer
    let bytes: Int
    private let ledger: LeakLedger

    init?(bytes: Int, ledger: LeakLedger) {
        guard let mapped = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), mapped != MAP_FAILED else {
            return nil
        }
        base = mapped
        self.bytes = bytes
        self.ledger = ledger
        // One non-constant byte per page, so that every page is really backed (and not deduplicated).
        let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
        var offset = 0
        while offset < bytes {
            base.storeBytes(of: UInt8(truncatingIfNeeded: offset &* 31 &+ 7), toByteOffset: offset, as: UInt8.self)
            offset += pageSize
        }
        ledger.add(bytes)
    }

    deinit {
        munmap(base, bytes)
        ledger.remove(bytes)
    }
}
