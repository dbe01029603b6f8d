import Foundation
import Testing

@testable import GPU

/// NVMLLibrary through the real dlopen/dlsym path, against the stand-in libnvidia-ml of
/// scripts/gpu-check (two recorded T4s, written against nvml.h's declarations): checks that the
/// loader's struct layouts and calling conventions agree with a library built from nvml.h's.
/// Compiled here with the C compiler; skipped, with the reason, where there is none.
@Suite("GPU.NVMLLibrary with a stand-in libnvidia-ml")
struct StandInLibraryTests {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func compiler() -> String? {
        ["/usr/bin/cc", "/usr/bin/gcc", "/usr/bin/clang"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static func build() throws -> String {
        let output = FileManager.default.temporaryDirectory.appending(path: "sptest-gpu-\(UInt32.random(in: .min ... .max))-libnvidia-ml.so.1").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(compiler()))
        process.arguments = ["-shared", "-fPIC", "-O2", "-std=c11", repositoryRoot.appending(path: "scripts/gpu-check.d/fake-nvml.c").path, "-o", output]
        try process.run()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "cc failed")
        return output
    }

    @Test(
        "the stand-in's two GPUs come through with their values, units and processes",
        .enabled("needs a C compiler") {
            if compiler() == nil { print("skipping: no C compiler to build the stand-in libnvidia-ml") }
            return compiler() != nil
        })
    func standIn() throws {
        let path = try Self.build()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let snapshot = try GPU.snapshot(NVMLLibrary(library: path))
        #expect(snapshot.errors.isEmpty)
        #expect(snapshot.driverVersion == "535.161.08" && snapshot.nvmlVersion == "12.535.161.08")
        #expect(snapshot.devices.map(\.uuid) == ["GPU-0d1e2f3a-4b5c-6d7e-8f90-a1b2c3d4e5f6", "GPU-9f8e7d6c-5b4a-3928-1706-f5e4d3c2b1a0"])
        #expect(snapshot.devices.map(\.deviceFile) == ["nvidia0", "nvidia1"])
        #expect(
            snapshot.devices.map(\.memory) == [
                GPU.Memory(totalBytes: 15360 << 20, freeBytes: 14923 << 20, usedBytes: 437 << 20),
                GPU.Memory(totalBytes: 15360 << 20, freeBytes: 1012 << 20, usedBytes: 14348 << 20),
            ])
        #expect(snapshot.devices[1].utilization == GPU.Utilization(gpuPercent: 96, memoryPercent: 70))
        #expect(snapshot.devices.map(\.temperatureCelsius) == [33, 74])
        #expect(snapshot.devices.map(\.powerMilliwatts) == [9874, 69412])
        #expect(snapshot.devices.map(\.migEnabled) == [nil, nil])  // NOT_SUPPORTED
        // The 24-byte process records: pid, then usedGpuMemory after padding; all ones is "not available".
        #expect(snapshot.devices[1].processes == [GPU.Process(pid: 1, usedMemoryBytes: 9000 << 20), GPU.Process(pid: 2, usedMemoryBytes: nil)])
    }
}
