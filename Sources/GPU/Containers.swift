#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

extension GPU {
    /// GPU memory that the processes of one container hold on one GPU.
    public struct ContainerMemory: Sendable, Equatable, Codable {
        /// The full 64-hex container id.
        public var containerID: String
        public var gpu: Int
        public var uuid: String
        public var modelName: String
        /// Sum over the container's compute processes on this GPU; processes whose usage NVML
        /// cannot report count 0 (the container still shows as using the GPU).
        public var usedBytes: UInt64
        public var pids: [Int32]

        public init(containerID: String, gpu: Int, uuid: String, modelName: String, usedBytes: UInt64, pids: [Int32]) {
            self.containerID = containerID
            self.gpu = gpu
            self.uuid = uuid
            self.modelName = modelName
            self.usedBytes = usedBytes
            self.pids = pids
        }
    }

    /// Attributes every compute process of `snapshot` to its container, by the container id in
    /// the process's `/proc/<pid>/cgroup` (`cgroupOf` returns that file's text, `nil` when the
    /// process is gone). Processes outside Docker containers are left out. Sorted by container,
    /// then GPU.
    public static func containerMemory(_ snapshot: Snapshot, cgroupOf: (Int32) -> String?) -> [ContainerMemory] {
        var byKey: [String: ContainerMemory] = [:]
        var cache: [Int32: String?] = [:]
        for device in snapshot.devices {
            for process in device.processes {
                let id: String?
                if let known = cache[process.pid] {
                    id = known
                } else {
                    id = cgroupOf(process.pid).flatMap(containerID(procCgroup:))
                    cache[process.pid] = id
                }
                guard let id else { continue }
                let key = "\(id)|\(device.index)"
                var entry = byKey[key] ?? ContainerMemory(containerID: id, gpu: device.index, uuid: device.uuid, modelName: device.name, usedBytes: 0, pids: [])
                entry.usedBytes &+= process.usedMemoryBytes ?? 0
                entry.pids.append(process.pid)
                byKey[key] = entry
            }
        }
        return byKey.values.sorted { ($0.containerID, $0.gpu) < ($1.containerID, $1.gpu) }
    }

    /// The Docker container id in the text of a `/proc/<pid>/cgroup`, or `nil` when the process
    /// is not in a Docker container. Understands every layout the engine makes:
    ///
    /// - cgroup v1, cgroupfs driver: `4:memory:/docker/<id>`
    /// - cgroup v1, systemd driver: `4:memory:/system.slice/docker-<id>.scope`
    /// - cgroup v2: `0::/docker/<id>` or `0::/system.slice/docker-<id>.scope`
    /// - seen from another cgroup namespace: `0::/../../system.slice/docker-<id>.scope`
    /// - a `--cgroup-parent`: `…/<parent>/<id>` or `…/<parent>/docker-<id>.scope`
    ///
    /// The last id in the path wins (an engine inside a container nests its containers below the
    /// outer one). On v1 the `memory` line is preferred, then the v2 (`0::`) line, then any.
    public static func containerID(procCgroup text: String) -> String? {
        var memory: String?
        var unified: String?
        var any: String?
        for line in text.split(separator: "\n") {
            // hierarchy-ID:controller-list:cgroup-path (the path may itself contain ':').
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3, let id = containerID(path: fields[2]) else { continue }
            if fields[1].split(separator: ",").contains("memory") { memory = memory ?? id }
            if fields[0] == "0", fields[1].isEmpty { unified = unified ?? id }
            any = any ?? id
        }
        return memory ?? unified ?? any
    }

    /// The last container id among the components of a cgroup path.
    static func containerID(path: Substring) -> String? {
        var found: Substring?
        for component in path.split(separator: "/") {
            var candidate = component
            if candidate.hasPrefix("docker-"), candidate.hasSuffix(".scope") {
                candidate = candidate.dropFirst("docker-".count).dropLast(".scope".count)
            }
            if isContainerID(candidate) { found = candidate }
        }
        return found.map(String.init)
    }

    static func isContainerID(_ text: Substring) -> Bool {
        text.utf8.count == 64
            && text.utf8.allSatisfy { ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) || ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "f")) }
    }

    /// The text of `<procRoot>/<pid>/cgroup`, `nil` when the process is gone or not visible
    /// (another pid namespace).
    public static func readProcCgroup(pid: Int32, procRoot: String = "/proc") -> String? {
        let fd = open("\(procRoot)/\(pid)/cgroup", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while bytes.count < 1 << 20 {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            if n <= 0 { break }
            bytes += chunk[0..<n]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
