import Foundation
import Synchronization

/// The state behind the endpoints: current faults, the leak, and the simulated GPU.
///
/// There is no GPU on the machines this runs on: `gpu_memory_*` are values of this stand-in. At
/// rest the simulated device holds the model weights (about 35% of its memory) plus a little per
/// in-flight inference; the `gpu_pressure` fault pins allocation at that fraction of the total.
public final class Simulator: Sendable {
    public let metrics: WorkloadMetrics
    public let gpuTotalMB: Double
    private let state: Mutex<State>

    struct State {
        var faults: Faults
        var leak: [[UInt8]] = []
        var leakedBytes = 0
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

    public func setFaults(_ faults: Faults) {
        state.withLock { $0.faults = faults }
        refreshGPU()
    }

    public var leakedBytes: Int {
        state.withLock { $0.leakedBytes }
    }

    /// Whether the next request should fail under the error-ratio fault.
    func shouldInjectError() -> Bool {
        let ratio = faults.errorRatio
        return ratio > 0 && Double.random(in: 0..<1) < ratio
    }

    /// Allocates `bytes` and writes to every page so it counts towards RSS, then keeps it forever.
    public func leak(bytes: Int) {
        guard bytes > 0 else { return }
        // A non-constant fill so that pages cannot be deduplicated or left unmapped.
        let chunk = [UInt8](unsafeUninitializedCapacity: bytes) { buffer, count in
            var i = 0
            while i < bytes {
                buffer[i] = UInt8(truncatingIfNeeded: i &* 31 &+ 7)
                i += 4096
            }
            // Bytes between touched ones are never read, but must be initialised for Swift.
            for j in 0..<bytes where j % 4096 != 0 { buffer[j] = 0 }
            count = bytes
        }
        state.withLock {
            $0.leak.append(chunk)
            $0.leakedBytes += bytes
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
