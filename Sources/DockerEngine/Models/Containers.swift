import Foundation

extension DockerEngine {
    /// One entry of `GET /containers/json`.
    public struct ContainerSummary: Codable, Sendable, Hashable {
        public struct Port: Codable, Sendable, Hashable {
            public var ip: String?
            public var privatePort: Int
            public var publicPort: Int?
            public var type: String
            enum CodingKeys: String, CodingKey { case ip = "IP", privatePort = "PrivatePort", publicPort = "PublicPort", type = "Type" }
        }

        public var id: String
        /// Names with the engine's leading slash, e.g. `/web-api-1`.
        public var names: [String]
        public var image: String?
        public var imageID: String?
        public var command: String?
        public var created: Int64?
        public var ports: [Port]?
        public var labels: [String: String]?
        public var state: ContainerState?
        /// Human text such as `Up 2 minutes (healthy)`.
        public var status: String?
        public var mounts: [MountPoint]?
        public var networkSettings: SummaryNetworkSettings?

        public struct SummaryNetworkSettings: Codable, Sendable, Hashable {
            public var networks: [String: EndpointSettings]?
            public init(networks: [String: EndpointSettings]? = nil) { self.networks = networks }
            enum CodingKeys: String, CodingKey { case networks = "Networks" }
        }

        /// The first name without the leading slash.
        public var name: String { (names.first ?? id).trimmingPrefix("/").description }

        public init(
            id: String, names: [String], image: String? = nil, imageID: String? = nil, created: Int64? = nil, labels: [String: String]? = nil,
            state: ContainerState? = nil, status: String? = nil, networkSettings: SummaryNetworkSettings? = nil
        ) {
            self.id = id
            self.names = names
            self.image = image
            self.imageID = imageID
            self.created = created
            self.labels = labels
            self.state = state
            self.status = status
            self.networkSettings = networkSettings
        }

        enum CodingKeys: String, CodingKey {
            case id = "Id", names = "Names", image = "Image", imageID = "ImageID", command = "Command"
            case created = "Created", ports = "Ports", labels = "Labels", state = "State", status = "Status"
            case mounts = "Mounts", networkSettings = "NetworkSettings"
        }
    }

    /// A mount as reported by inspect and list.
    public struct MountPoint: Codable, Sendable, Hashable {
        public var type: String?
        public var name: String?
        public var source: String?
        public var destination: String?
        public var driver: String?
        public var mode: String?
        public var rw: Bool?
        public var propagation: String?
        enum CodingKeys: String, CodingKey {
            case type = "Type", name = "Name", source = "Source", destination = "Destination", driver = "Driver"
            case mode = "Mode", rw = "RW", propagation = "Propagation"
        }
    }

    /// `Healthcheck` of a container config. Durations are nanoseconds, as the engine wants them.
    public struct HealthConfig: Codable, Sendable, Hashable {
        /// `["NONE"]`, `["CMD", args...]` or `["CMD-SHELL", command]`.
        public var test: [String]?
        public var interval: Int64?
        public var timeout: Int64?
        public var retries: Int?
        public var startPeriod: Int64?
        /// API 1.44+.
        public var startInterval: Int64?

        public init(
            test: [String]? = nil, interval: Duration? = nil, timeout: Duration? = nil, retries: Int? = nil, startPeriod: Duration? = nil,
            startInterval: Duration? = nil
        ) {
            self.test = test
            self.interval = interval.map(Self.nanoseconds)
            self.timeout = timeout.map(Self.nanoseconds)
            self.retries = retries
            self.startPeriod = startPeriod.map(Self.nanoseconds)
            self.startInterval = startInterval.map(Self.nanoseconds)
        }

        static func nanoseconds(_ duration: Duration) -> Int64 {
            let (seconds, attoseconds) = duration.components
            return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
        }

        enum CodingKeys: String, CodingKey {
            case test = "Test", interval = "Interval", timeout = "Timeout", retries = "Retries"
            case startPeriod = "StartPeriod", startInterval = "StartInterval"
        }
    }

    /// The body of `POST /containers/create`: the container config with `HostConfig` and
    /// `NetworkingConfig`. Every field is optional; nil fields are left out of the JSON.
    public struct ContainerConfig: Codable, Sendable, Hashable {
        public var hostname: String?
        public var domainname: String?
        public var user: String?
        public var attachStdin: Bool?
        public var attachStdout: Bool?
        public var attachStderr: Bool?
        public var tty: Bool?
        public var openStdin: Bool?
        public var stdinOnce: Bool?
        /// `KEY=value` entries.
        public var env: [String]?
        public var cmd: [String]?
        public var entrypoint: [String]?
        public var image: String?
        public var labels: [String: String]?
        public var workingDir: String?
        /// Keys such as `5000/tcp`.
        public var exposedPorts: [String: Empty]?
        public var volumes: [String: Empty]?
        public var stopSignal: String?
        /// Seconds.
        public var stopTimeout: Int?
        public var healthcheck: HealthConfig?
        public var networkDisabled: Bool?
        public var macAddress: String?
        public var shell: [String]?
        public var hostConfig: HostConfig?
        public var networkingConfig: NetworkingConfig?

        public init(image: String? = nil, cmd: [String]? = nil, env: [String]? = nil, labels: [String: String]? = nil, hostConfig: HostConfig? = nil) {
            self.image = image
            self.cmd = cmd
            self.env = env
            self.labels = labels
            self.hostConfig = hostConfig
        }

        enum CodingKeys: String, CodingKey {
            case hostname = "Hostname", domainname = "Domainname", user = "User", attachStdin = "AttachStdin"
            case attachStdout = "AttachStdout", attachStderr = "AttachStderr", tty = "Tty", openStdin = "OpenStdin"
            case stdinOnce = "StdinOnce", env = "Env", cmd = "Cmd", entrypoint = "Entrypoint", image = "Image"
            case labels = "Labels", workingDir = "WorkingDir", exposedPorts = "ExposedPorts", volumes = "Volumes"
            case stopSignal = "StopSignal", stopTimeout = "StopTimeout", healthcheck = "Healthcheck"
            case networkDisabled = "NetworkDisabled", macAddress = "MacAddress", shell = "Shell"
            case hostConfig = "HostConfig", networkingConfig = "NetworkingConfig"
        }
    }

    public struct PortBinding: Codable, Sendable, Hashable {
        public var hostIP: String?
        /// A port number or range as a string; empty or nil lets the engine choose.
        public var hostPort: String?
        public init(hostIP: String? = nil, hostPort: String? = nil) {
            self.hostIP = hostIP
            self.hostPort = hostPort
        }
        enum CodingKeys: String, CodingKey { case hostIP = "HostIp", hostPort = "HostPort" }
    }

    public struct RestartPolicy: Codable, Sendable, Hashable {
        /// `""`/`no`, `always`, `unless-stopped`, `on-failure`.
        public var name: String?
        public var maximumRetryCount: Int?
        public init(name: String? = nil, maximumRetryCount: Int? = nil) {
            self.name = name
            self.maximumRetryCount = maximumRetryCount
        }
        enum CodingKeys: String, CodingKey { case name = "Name", maximumRetryCount = "MaximumRetryCount" }
    }

    /// A `Mounts` entry of a host config (bind, volume, tmpfs).
    public struct Mount: Codable, Sendable, Hashable {
        public struct BindOptions: Codable, Sendable, Hashable {
            public var propagation: String?
            public var createMountpoint: Bool?
            public init(propagation: String? = nil, createMountpoint: Bool? = nil) {
                self.propagation = propagation
                self.createMountpoint = createMountpoint
            }
            enum CodingKeys: String, CodingKey { case propagation = "Propagation", createMountpoint = "CreateMountpoint" }
        }
        public struct VolumeOptions: Codable, Sendable, Hashable {
            public var noCopy: Bool?
            public var labels: [String: String]?
            public var subpath: String?
            public init(noCopy: Bool? = nil, labels: [String: String]? = nil, subpath: String? = nil) {
                self.noCopy = noCopy
                self.labels = labels
                self.subpath = subpath
            }
            enum CodingKeys: String, CodingKey { case noCopy = "NoCopy", labels = "Labels", subpath = "Subpath" }
        }
        public struct TmpfsOptions: Codable, Sendable, Hashable {
            public var sizeBytes: Int64?
            public var mode: Int?
            public init(sizeBytes: Int64? = nil, mode: Int? = nil) {
                self.sizeBytes = sizeBytes
                self.mode = mode
            }
            enum CodingKeys: String, CodingKey { case sizeBytes = "SizeBytes", mode = "Mode" }
        }

        /// `bind`, `volume`, `tmpfs`, `npipe`, `cluster`.
        public var type: String
        public var source: String?
        public var target: String
        public var readOnly: Bool?
        public var consistency: String?
        public var bindOptions: BindOptions?
        public var volumeOptions: VolumeOptions?
        public var tmpfsOptions: TmpfsOptions?

        public init(
            type: String, source: String? = nil, target: String, readOnly: Bool? = nil, bindOptions: BindOptions? = nil, volumeOptions: VolumeOptions? = nil,
            tmpfsOptions: TmpfsOptions? = nil
        ) {
            self.type = type
            self.source = source
            self.target = target
            self.readOnly = readOnly
            self.bindOptions = bindOptions
            self.volumeOptions = volumeOptions
            self.tmpfsOptions = tmpfsOptions
        }

        enum CodingKeys: String, CodingKey {
            case type = "Type", source = "Source", target = "Target", readOnly = "ReadOnly", consistency = "Consistency"
            case bindOptions = "BindOptions", volumeOptions = "VolumeOptions", tmpfsOptions = "TmpfsOptions"
        }
    }

    public struct DeviceMapping: Codable, Sendable, Hashable {
        public var pathOnHost: String
        public var pathInContainer: String
        public var cgroupPermissions: String?
        public init(pathOnHost: String, pathInContainer: String, cgroupPermissions: String? = "rwm") {
            self.pathOnHost = pathOnHost
            self.pathInContainer = pathInContainer
            self.cgroupPermissions = cgroupPermissions
        }
        enum CodingKeys: String, CodingKey { case pathOnHost = "PathOnHost", pathInContainer = "PathInContainer", cgroupPermissions = "CgroupPermissions" }
    }

    /// A `DeviceRequests` entry, e.g. GPUs: `DeviceRequest(driver: "nvidia", count: -1, capabilities: [["gpu"]])`.
    public struct DeviceRequest: Codable, Sendable, Hashable {
        public var driver: String?
        public var count: Int?
        public var deviceIDs: [String]?
        public var capabilities: [[String]]?
        public var options: [String: String]?
        public init(driver: String? = nil, count: Int? = nil, deviceIDs: [String]? = nil, capabilities: [[String]]? = nil, options: [String: String]? = nil) {
            self.driver = driver
            self.count = count
            self.deviceIDs = deviceIDs
            self.capabilities = capabilities
            self.options = options
        }
        enum CodingKeys: String, CodingKey {
            case driver = "Driver", count = "Count", deviceIDs = "DeviceIDs", capabilities = "Capabilities", options = "Options"
        }
    }

    /// A `BlkioWeightDevice` entry.
    public struct WeightDevice: Codable, Sendable, Hashable {
        public var path: String
        public var weight: Int
        public init(path: String, weight: Int) {
            self.path = path
            self.weight = weight
        }
        enum CodingKeys: String, CodingKey { case path = "Path", weight = "Weight" }
    }

    /// A `BlkioDeviceReadBps` (and write, IOps) entry.
    public struct ThrottleDevice: Codable, Sendable, Hashable {
        public var path: String
        public var rate: Int64
        public init(path: String, rate: Int64) {
            self.path = path
            self.rate = rate
        }
        enum CodingKeys: String, CodingKey { case path = "Path", rate = "Rate" }
    }

    public struct Ulimit: Codable, Sendable, Hashable {
        public var name: String
        public var soft: Int64
        public var hard: Int64
        public init(name: String, soft: Int64, hard: Int64) {
            self.name = name
            self.soft = soft
            self.hard = hard
        }
        enum CodingKeys: String, CodingKey { case name = "Name", soft = "Soft", hard = "Hard" }
    }

    public struct LogConfig: Codable, Sendable, Hashable {
        public var type: String?
        public var config: [String: String]?
        public init(type: String? = nil, config: [String: String]? = nil) {
            self.type = type
            self.config = config
        }
        enum CodingKeys: String, CodingKey { case type = "Type", config = "Config" }
    }

    /// Host-dependent container settings (`HostConfig`).
    public struct HostConfig: Codable, Sendable, Hashable {
        /// `host-src:container-dest[:options]` or `volume:container-dest[:options]`.
        public var binds: [String]?
        public var mounts: [Mount]?
        /// Mount point -> options (`size=64m,mode=1777`).
        public var tmpfs: [String: String]?
        /// `bridge`, `host`, `none`, `container:<id>` or a network name.
        public var networkMode: String?
        /// Keys such as `5000/tcp`.
        public var portBindings: [String: [PortBinding]]?
        public var publishAllPorts: Bool?
        public var restartPolicy: RestartPolicy?
        public var autoRemove: Bool?
        public var capAdd: [String]?
        public var capDrop: [String]?
        public var devices: [DeviceMapping]?
        public var deviceRequests: [DeviceRequest]?
        public var deviceCgroupRules: [String]?
        /// `host:ip` entries.
        public var extraHosts: [String]?
        public var ulimits: [Ulimit]?
        public var privileged: Bool?
        public var readonlyRootfs: Bool?
        public var securityOpt: [String]?
        public var dns: [String]?
        public var dnsOptions: [String]?
        public var dnsSearch: [String]?
        public var groupAdd: [String]?
        public var ipcMode: String?
        public var pidMode: String?
        public var usernsMode: String?
        public var cgroupParent: String?
        public var shmSize: Int64?
        public var sysctls: [String: String]?
        public var initProcess: Bool?
        public var logConfig: LogConfig?
        public var volumesFrom: [String]?
        public var links: [String]?
        public var runtime: String?
        public var oomScoreAdj: Int?
        /// `host` or empty.
        public var utsMode: String?
        /// `private` or `host` (cgroup v2 namespaces).
        public var cgroupnsMode: String?
        public var storageOpt: [String: String]?
        /// Windows only: `default`, `process`, `hyperv`.
        public var isolation: String?
        // Resources
        public var memory: Int64?
        public var memoryReservation: Int64?
        public var memorySwap: Int64?
        public var memorySwappiness: Int64?
        public var nanoCpus: Int64?
        public var cpuShares: Int?
        public var cpuPeriod: Int64?
        public var cpuQuota: Int64?
        public var cpusetCpus: String?
        public var cpusetMems: String?
        public var pidsLimit: Int64?
        public var oomKillDisable: Bool?
        public var blkioWeight: Int?
        public var blkioWeightDevice: [WeightDevice]?
        public var blkioDeviceReadBps: [ThrottleDevice]?
        public var blkioDeviceWriteBps: [ThrottleDevice]?
        public var blkioDeviceReadIOps: [ThrottleDevice]?
        public var blkioDeviceWriteIOps: [ThrottleDevice]?
        /// Microseconds.
        public var cpuRealtimePeriod: Int64?
        public var cpuRealtimeRuntime: Int64?
        /// Windows only.
        public var cpuCount: Int64?
        public var cpuPercent: Int64?

        public init() {}

        enum CodingKeys: String, CodingKey {
            case binds = "Binds", mounts = "Mounts", tmpfs = "Tmpfs", networkMode = "NetworkMode"
            case portBindings = "PortBindings", publishAllPorts = "PublishAllPorts", restartPolicy = "RestartPolicy"
            case autoRemove = "AutoRemove", capAdd = "CapAdd", capDrop = "CapDrop", devices = "Devices"
            case deviceRequests = "DeviceRequests", deviceCgroupRules = "DeviceCgroupRules", extraHosts = "ExtraHosts"
            case ulimits = "Ulimits", privileged = "Privileged", readonlyRootfs = "ReadonlyRootfs"
            case securityOpt = "SecurityOpt", dns = "Dns", dnsOptions = "DnsOptions", dnsSearch = "DnsSearch"
            case groupAdd = "GroupAdd", ipcMode = "IpcMode", pidMode = "PidMode", usernsMode = "UsernsMode"
            case cgroupParent = "CgroupParent", shmSize = "ShmSize", sysctls = "Sysctls", initProcess = "Init"
            case logConfig = "LogConfig", volumesFrom = "VolumesFrom", links = "Links", runtime = "Runtime"
            case oomScoreAdj = "OomScoreAdj", memory = "Memory", memoryReservation = "MemoryReservation"
            case memorySwap = "MemorySwap", memorySwappiness = "MemorySwappiness", nanoCpus = "NanoCpus"
            case cpuShares = "CpuShares", cpuPeriod = "CpuPeriod", cpuQuota = "CpuQuota", cpusetCpus = "CpusetCpus"
            case cpusetMems = "CpusetMems", pidsLimit = "PidsLimit", oomKillDisable = "OomKillDisable"
            case blkioWeight = "BlkioWeight", blkioWeightDevice = "BlkioWeightDevice"
            case blkioDeviceReadBps = "BlkioDeviceReadBps", blkioDeviceWriteBps = "BlkioDeviceWriteBps"
            case blkioDeviceReadIOps = "BlkioDeviceReadIOps", blkioDeviceWriteIOps = "BlkioDeviceWriteIOps"
            case cpuRealtimePeriod = "CpuRealtimePeriod", cpuRealtimeRuntime = "CpuRealtimeRuntime"
            case cpuCount = "CpuCount", cpuPercent = "CpuPercent"
            case utsMode = "UTSMode", cgroupnsMode = "CgroupnsMode", storageOpt = "StorageOpt", isolation = "Isolation"
        }
    }

    /// A container's settings on one network (create, connect, inspect).
    public struct EndpointSettings: Codable, Sendable, Hashable {
        public struct IPAMConfig: Codable, Sendable, Hashable {
            public var ipv4Address: String?
            public var ipv6Address: String?
            public init(ipv4Address: String? = nil, ipv6Address: String? = nil) {
                self.ipv4Address = ipv4Address
                self.ipv6Address = ipv6Address
            }
            enum CodingKeys: String, CodingKey { case ipv4Address = "IPv4Address", ipv6Address = "IPv6Address" }
        }

        public var ipamConfig: IPAMConfig?
        public var links: [String]?
        public var aliases: [String]?
        public var driverOpts: [String: String]?
        public var macAddress: String?
        // Reported by the engine:
        public var networkID: String?
        public var endpointID: String?
        public var gateway: String?
        public var ipAddress: String?
        public var ipPrefixLen: Int?
        public var dnsNames: [String]?

        public init(aliases: [String]? = nil, ipamConfig: IPAMConfig? = nil, links: [String]? = nil, driverOpts: [String: String]? = nil) {
            self.aliases = aliases
            self.ipamConfig = ipamConfig
            self.links = links
            self.driverOpts = driverOpts
        }

        enum CodingKeys: String, CodingKey {
            case ipamConfig = "IPAMConfig", links = "Links", aliases = "Aliases", driverOpts = "DriverOpts"
            case macAddress = "MacAddress", networkID = "NetworkID", endpointID = "EndpointID", gateway = "Gateway"
            case ipAddress = "IPAddress", ipPrefixLen = "IPPrefixLen", dnsNames = "DNSNames"
        }
    }

    public struct NetworkingConfig: Codable, Sendable, Hashable {
        /// Network name -> settings. API < 1.44 accepts one entry at create time; connect the rest.
        public var endpointsConfig: [String: EndpointSettings]?
        public init(endpointsConfig: [String: EndpointSettings]? = nil) { self.endpointsConfig = endpointsConfig }
        enum CodingKeys: String, CodingKey { case endpointsConfig = "EndpointsConfig" }
    }

    /// `POST /containers/create` answer.
    public struct ContainerCreateResponse: Codable, Sendable, Hashable {
        public var id: String
        public var warnings: [String]?
        enum CodingKeys: String, CodingKey { case id = "Id", warnings = "Warnings" }
    }

    /// `POST /containers/{id}/wait` answer.
    public struct ContainerWaitResponse: Codable, Sendable, Hashable {
        public struct WaitError: Codable, Sendable, Hashable {
            public var message: String?
            enum CodingKeys: String, CodingKey { case message = "Message" }
        }
        public var statusCode: Int
        public var error: WaitError?
        enum CodingKeys: String, CodingKey { case statusCode = "StatusCode", error = "Error" }
    }

    public enum WaitCondition: String, Sendable {
        case notRunning = "not-running", nextExit = "next-exit", removed
    }

    /// `GET /containers/{id}/json`.
    public struct ContainerInspect: Codable, Sendable, Hashable {
        public struct State: Codable, Sendable, Hashable {
            public struct Health: Codable, Sendable, Hashable {
                public struct Log: Codable, Sendable, Hashable {
                    public var start: String?
                    public var end: String?
                    public var exitCode: Int?
                    public var output: String?
                    enum CodingKeys: String, CodingKey { case start = "Start", end = "End", exitCode = "ExitCode", output = "Output" }
                }
                public var status: HealthStatus?
                public var failingStreak: Int?
                public var log: [Log]?
                public init(status: HealthStatus? = nil, failingStreak: Int? = nil, log: [Log]? = nil) {
                    self.status = status
                    self.failingStreak = failingStreak
                    self.log = log
                }
                enum CodingKeys: String, CodingKey { case status = "Status", failingStreak = "FailingStreak", log = "Log" }
            }
            public var status: ContainerState?
            public var running: Bool?
            public var paused: Bool?
            public var restarting: Bool?
            public var oomKilled: Bool?
            public var dead: Bool?
            public var pid: Int?
            public var exitCode: Int?
            public var error: String?
            public var startedAt: String?
            public var finishedAt: String?
            public var health: Health?
            enum CodingKeys: String, CodingKey {
                case status = "Status", running = "Running", paused = "Paused", restarting = "Restarting"
                case oomKilled = "OOMKilled", dead = "Dead", pid = "Pid", exitCode = "ExitCode", error = "Error"
                case startedAt = "StartedAt", finishedAt = "FinishedAt", health = "Health"
            }
        }

        public struct NetworkSettings: Codable, Sendable, Hashable {
            public var ports: [String: [PortBinding]?]?
            public var networks: [String: EndpointSettings]?
            public var ipAddress: String?
            enum CodingKeys: String, CodingKey { case ports = "Ports", networks = "Networks", ipAddress = "IPAddress" }
        }

        public var id: String
        public var created: String?
        public var path: String?
        public var args: [String]?
        public var state: State?
        /// The image ID (`sha256:…`).
        public var image: String?
        /// With a leading slash.
        public var name: String?
        public var restartCount: Int?
        public var driver: String?
        public var platform: String?
        public var logPath: String?
        public var config: ContainerConfig?
        public var hostConfig: HostConfig?
        public var networkSettings: NetworkSettings?
        public var mounts: [MountPoint]?

        enum CodingKeys: String, CodingKey {
            case id = "Id", created = "Created", path = "Path", args = "Args", state = "State", image = "Image"
            case name = "Name", restartCount = "RestartCount", driver = "Driver", platform = "Platform"
            case logPath = "LogPath", config = "Config", hostConfig = "HostConfig"
            case networkSettings = "NetworkSettings", mounts = "Mounts"
        }
    }

    /// Options of `GET /containers/{id}/logs`.
    public struct LogsOptions: Sendable, Hashable {
        public var stdout = true
        public var stderr = true
        public var follow = false
        public var timestamps = false
        /// `nil` for all lines, or the number of lines from the end.
        public var tail: Int?
        /// Only lines since this time.
        public var since: Date?
        public var until: Date?

        public init(
            stdout: Bool = true, stderr: Bool = true, follow: Bool = false, timestamps: Bool = false, tail: Int? = nil, since: Date? = nil, until: Date? = nil
        ) {
            self.stdout = stdout
            self.stderr = stderr
            self.follow = follow
            self.timestamps = timestamps
            self.tail = tail
            self.since = since
            self.until = until
        }
    }
}

// Memberwise initialisers, for test doubles that answer as the engine would.
extension DockerEngine.ContainerInspect {
    public init(
        id: String, name: String? = nil, state: State? = nil, image: String? = nil, restartCount: Int? = nil,
        config: DockerEngine.ContainerConfig? = nil, networkSettings: NetworkSettings? = nil
    ) {
        self.id = id
        self.name = name
        self.state = state
        self.image = image
        self.restartCount = restartCount
        self.config = config
        self.networkSettings = networkSettings
    }
}

extension DockerEngine.ContainerInspect.State {
    public init(
        status: DockerEngine.ContainerState? = nil, exitCode: Int? = nil, oomKilled: Bool? = nil, error: String? = nil,
        startedAt: String? = nil, health: Health? = nil
    ) {
        self.status = status
        self.running = status.map { $0 == .running || $0 == .paused || $0 == .restarting }
        self.paused = status.map { $0 == .paused }
        self.restarting = status.map { $0 == .restarting }
        self.dead = status.map { $0 == .dead }
        self.exitCode = exitCode
        self.oomKilled = oomKilled
        self.error = error
        self.startedAt = startedAt
        self.health = health
    }
}

extension DockerEngine.ContainerInspect.State.Health.Log {
    public init(exitCode: Int? = nil, output: String? = nil) {
        self.exitCode = exitCode
        self.output = output
    }
}

extension DockerEngine.ContainerInspect.NetworkSettings {
    public init(ports: [String: [DockerEngine.PortBinding]?]? = nil, networks: [String: DockerEngine.EndpointSettings]? = nil) {
        self.ports = ports
        self.networks = networks
    }
}
