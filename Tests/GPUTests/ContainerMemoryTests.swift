import Glibc
import Testing

@testable import GPU

@Suite("GPU.containerMemory")
struct ContainerMemoryTests {
    static let api = "3f4a9c1e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a19"
    static let model = "aa11bb22cc33dd44ee55ff6600778899aabbccddeeff00112233445566778899"

    struct CgroupCase: Sendable, CustomTestStringConvertible {
        var name: String
        var text: String
        var id: String?
        var testDescription: String { name }
    }

    // Recorded /proc/<pid>/cgroup files (ids replaced by the two above).
    @Test(
        "the container id is found in every cgroup layout the engine makes, and nowhere else",
        arguments: [
            CgroupCase(
                name: "cgroup v1, cgroupfs driver",
                text: """
                    12:pids:/docker/\(model)
                    11:memory:/docker/\(model)
                    10:cpu,cpuacct:/docker/\(model)
                    1:name=systemd:/docker/\(model)
                    0::/system.slice/containerd.service

                    """, id: model),
            CgroupCase(
                name: "cgroup v1, systemd driver",
                text: """
                    13:blkio:/system.slice/docker-\(model).scope
                    4:memory:/system.slice/docker-\(model).scope
                    1:name=systemd:/system.slice/docker-\(model).scope
                    0::/system.slice/docker-\(model).scope

                    """, id: model),
            CgroupCase(name: "cgroup v2, cgroupfs driver", text: "0::/docker/\(model)\n", id: model),
            CgroupCase(name: "cgroup v2, systemd driver", text: "0::/system.slice/docker-\(model).scope\n", id: model),
            CgroupCase(name: "cgroup v2 seen from the exporter's own cgroup namespace", text: "0::/../../system.slice/docker-\(model).scope\n", id: model),
            CgroupCase(name: "a cgroup-parent", text: "0::/gpu.slice/\(model)\n", id: model),
            CgroupCase(name: "an engine inside a container: the inner container", text: "0::/docker/\(api)/docker/\(model)\n", id: model),
            CgroupCase(name: "v1 where only the memory line names the container", text: "5:cpu,cpuacct:/user.slice\n4:memory:/docker/\(model)\n", id: model),
            CgroupCase(
                name: "a process of the host", text: "12:memory:/user.slice/user-1000.slice/session-3.scope\n0::/user.slice/user-1000.slice/session-3.scope\n",
                id: nil),
            CgroupCase(name: "the root cgroup", text: "0::/\n", id: nil),
            CgroupCase(name: "a 63-character id is not an id", text: "0::/docker/\(model.dropLast())\n", id: nil),
            CgroupCase(name: "upper-case hex is not an engine id", text: "0::/docker/\(model.uppercased())\n", id: nil),
            CgroupCase(name: "empty", text: "", id: nil),
            CgroupCase(name: "garbage", text: "not a cgroup file\n::::\n", id: nil),
        ])
    func containerID(_ c: CgroupCase) {
        #expect(GPU.containerID(procCgroup: c.text) == c.id)
    }

    @Test("processes are summed per container and GPU; host processes and vanished pids are left out")
    func perContainer() throws {
        let snapshot = GPU.snapshot(Recorded.twoT4)
        let cgroups: [Int32: String] = [
            2001: "0::/system.slice/docker-\(Self.model).scope\n",
            2002: "0::/docker/\(Self.api)\n",
            3003: "0::/user.slice/user-0.slice/session-1.scope\n",
        ]
        let entries = GPU.containerMemory(snapshot) { cgroups[$0] }
        #expect(entries.map(\.containerID) == [Self.api, Self.model])
        #expect(entries.map(\.gpu) == [1, 1])
        #expect(entries.map { $0.usedBytes / Recorded.mib } == [4_000, 9_000])
        #expect(entries.allSatisfy { $0.uuid == "GPU-9f8e7d6c-5b4a-3928-1706-f5e4d3c2b1a0" && $0.modelName == "Tesla T4" })
        #expect(GPU.containerMemory(snapshot) { _ in nil }.isEmpty)
    }

    @Test("one container on eight GPUs gives eight entries; two processes on one GPU add up; unknown usage counts 0")
    func eightAndSums() {
        var nvml = Recorded.eightA100
        nvml.devices[0].processes = .success([
            .init(pid: 5000, usedMemoryBytes: 100 * Recorded.mib), .init(pid: 6000, usedMemoryBytes: 28 * Recorded.mib), .init(pid: 7000, usedMemoryBytes: nil),
        ])
        let entries = GPU.containerMemory(GPU.snapshot(nvml)) { _ in "0::/docker/\(Self.model)\n" }
        #expect(entries.count == 8)
        #expect(entries.map(\.gpu) == Array(0..<8))
        #expect(entries[0].usedBytes == 128 * Recorded.mib)
        #expect(entries[0].pids == [5000, 6000, 7000])
        #expect(entries[7].usedBytes == 39_500 * Recorded.mib)
    }

    @Test("reading a pid's cgroup file: this process's is readable, a missing pid is nil")
    func readsProc() {
        #expect(GPU.readProcCgroup(pid: Int32(getpid())) != nil)
        #expect(GPU.readProcCgroup(pid: 1, procRoot: "/nonexistent") == nil)
    }
}
