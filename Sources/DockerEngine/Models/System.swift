import Foundation

extension DockerEngine {
    /// `GET /_ping`: the engine is up, and the newest API version it speaks.
    public struct PingResponse: Sendable, Hashable {
        /// `API-Version` header: the newest API the engine serves.
        public var apiVersion: APIVersion?
        /// `OSType` header (`linux`, `windows`).
        public var osType: String?
        /// `Builder-Version` header (`1` classic, `2` BuildKit).
        public var builderVersion: String?
        public var experimental: Bool

        public init(apiVersion: APIVersion?, osType: String?, builderVersion: String?, experimental: Bool) {
            self.apiVersion = apiVersion
            self.osType = osType
            self.builderVersion = builderVersion
            self.experimental = experimental
        }
    }

    /// `GET /version`.
    public struct VersionResponse: Codable, Sendable, Hashable {
        public struct Component: Codable, Sendable, Hashable {
            public var name: String
            public var version: String
            public var details: [String: String]?
            enum CodingKeys: String, CodingKey { case name = "Name", version = "Version", details = "Details" }
        }

        public var version: String
        public var apiVersion: String
        public var minAPIVersion: String?
        public var gitCommit: String?
        public var goVersion: String?
        public var os: String?
        public var arch: String?
        public var kernelVersion: String?
        public var buildTime: String?
        public var components: [Component]?

        enum CodingKeys: String, CodingKey {
            case version = "Version", apiVersion = "ApiVersion", minAPIVersion = "MinAPIVersion"
            case gitCommit = "GitCommit", goVersion = "GoVersion", os = "Os", arch = "Arch"
            case kernelVersion = "KernelVersion", buildTime = "BuildTime", components = "Components"
        }
    }

    /// `GET /info` (the fields StackPilot uses; the engine sends many more).
    public struct SystemInfo: Codable, Sendable, Hashable {
        public var id: String?
        public var name: String?
        public var serverVersion: String?
        public var containers: Int?
        public var containersRunning: Int?
        public var containersPaused: Int?
        public var containersStopped: Int?
        public var images: Int?
        public var driver: String?
        public var dockerRootDir: String?
        public var memoryLimit: Bool?
        public var swapLimit: Bool?
        public var cpuCfsPeriod: Bool?
        public var cpuCfsQuota: Bool?
        public var pidsLimit: Bool?
        public var oomKillDisable: Bool?
        public var kernelVersion: String?
        public var operatingSystem: String?
        public var osVersion: String?
        public var osType: String?
        public var architecture: String?
        public var ncpu: Int?
        public var memTotal: Int64?
        public var cgroupDriver: String?
        /// `"1"` or `"2"`.
        public var cgroupVersion: String?
        public var loggingDriver: String?
        public var defaultRuntime: String?
        public var runtimes: [String: Runtime]?
        /// Where the engine reads CDI device specs (API 1.44+; GPUs through CDI).
        public var cdiSpecDirs: [String]?
        public var securityOptions: [String]?
        public var warnings: [String]?
        public var labels: [String]?
        public var experimentalBuild: Bool?
        public var liveRestoreEnabled: Bool?
        /// This engine's place in a swarm (`LocalNodeState` `inactive` when it is in none).
        public var swarm: SwarmInfo?

        public struct Runtime: Codable, Sendable, Hashable {
            public var path: String?
            enum CodingKeys: String, CodingKey { case path }
        }

        enum CodingKeys: String, CodingKey {
            case id = "ID", name = "Name", serverVersion = "ServerVersion", containers = "Containers"
            case containersRunning = "ContainersRunning", containersPaused = "ContainersPaused"
            case containersStopped = "ContainersStopped", images = "Images", driver = "Driver"
            case dockerRootDir = "DockerRootDir", memoryLimit = "MemoryLimit", swapLimit = "SwapLimit"
            case cpuCfsPeriod = "CpuCfsPeriod", cpuCfsQuota = "CpuCfsQuota", pidsLimit = "PidsLimit"
            case oomKillDisable = "OomKillDisable", kernelVersion = "KernelVersion"
            case operatingSystem = "OperatingSystem", osVersion = "OSVersion", osType = "OSType"
            case architecture = "Architecture", ncpu = "NCPU", memTotal = "MemTotal"
            case cgroupDriver = "CgroupDriver", cgroupVersion = "CgroupVersion", loggingDriver = "LoggingDriver"
            case defaultRuntime = "DefaultRuntime", runtimes = "Runtimes", cdiSpecDirs = "CDISpecDirs", securityOptions = "SecurityOptions"
            case warnings = "Warnings", labels = "Labels", experimentalBuild = "ExperimentalBuild"
            case liveRestoreEnabled = "LiveRestoreEnabled"
            case swarm = "Swarm"
        }
    }

    /// One record of `GET /events`.
    public struct Event: Codable, Sendable, Hashable {
        public struct Actor: Codable, Sendable, Hashable {
            public var id: String?
            public var attributes: [String: String]?
            enum CodingKeys: String, CodingKey { case id = "ID", attributes = "Attributes" }
        }

        /// `container`, `image`, `network`, `volume`, `daemon`, …
        public var type: String?
        /// `create`, `start`, `die`, `health_status: healthy`, …
        public var action: String?
        public var actor: Actor?
        public var scope: String?
        public var time: Int64?
        public var timeNano: Int64?

        enum CodingKeys: String, CodingKey {
            case type = "Type", action = "Action", actor = "Actor", scope = "scope", time = "time", timeNano = "timeNano"
        }
    }

    /// Filters for list endpoints and events, sent as the JSON `filters` query parameter.
    /// `Filters().label("com.docker.compose.project=web").status("running")`.
    public struct Filters: Sendable, Hashable, Encodable {
        public private(set) var values: [String: [String]] = [:]

        public init(_ values: [String: [String]] = [:]) { self.values = values }

        public func adding(_ name: String, _ value: String) -> Filters {
            var copy = self
            copy.values[name, default: []].append(value)
            return copy
        }

        /// `key` or `key=value`.
        public func label(_ label: String) -> Filters { adding("label", label) }
        public func name(_ name: String) -> Filters { adding("name", name) }
        public func id(_ id: String) -> Filters { adding("id", id) }
        public func status(_ status: String) -> Filters { adding("status", status) }
        public func type(_ type: String) -> Filters { adding("type", type) }
        public func event(_ event: String) -> Filters { adding("event", event) }
        public func container(_ container: String) -> Filters { adding("container", container) }
        public func reference(_ reference: String) -> Filters { adding("reference", reference) }
        public func dangling(_ dangling: Bool) -> Filters { adding("dangling", dangling ? "true" : "false") }

        public var isEmpty: Bool { values.isEmpty }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(values)
        }

        var queryValue: String? { isEmpty ? nil : Client.jsonQueryValue(self) }
    }
}
