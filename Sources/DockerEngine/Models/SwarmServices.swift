import Foundation

extension DockerEngine {
    /// `TaskSpec.RestartPolicy.Condition`: `.never` is the engine's `none` (a Swift `.none` would read as nil).
    public enum RestartCondition: OpenEnum {
        case never, onFailure, any
        case unknown(String)
        public static let spellings: [(value: Self, spelling: String)] = [(.never, "none"), (.onFailure, "on-failure"), (.any, "any")]
        public var unknownValue: String? { if case .unknown(let value) = self { value } else { nil } }
    }

    /// `UpdateConfig.FailureAction`: what a failed rolling update (or rollback) does next.
    public enum FailureAction: OpenEnum {
        case pause, `continue`, rollback
        case unknown(String)
        public static let spellings: [(value: Self, spelling: String)] = [(.pause, "pause"), (.continue, "continue"), (.rollback, "rollback")]
        public var unknownValue: String? { if case .unknown(let value) = self { value } else { nil } }
    }

    /// `UpdateConfig.Order`: stop the old task first, or start the new one first.
    public enum UpdateOrder: OpenEnum {
        case stopFirst, startFirst
        case unknown(String)
        public static let spellings: [(value: Self, spelling: String)] = [(.stopFirst, "stop-first"), (.startFirst, "start-first")]
        public var unknownValue: String? { if case .unknown(let value) = self { value } else { nil } }
    }

    /// `EndpointSpec.Mode`: a virtual IP in front of the tasks, or DNS round-robin over their IPs.
    /// The VIP needs IPVS in the kernel; `dnsrr` does not.
    public enum ResolutionMode: OpenEnum {
        case vip, dnsrr
        case unknown(String)
        public static let spellings: [(value: Self, spelling: String)] = [(.vip, "vip"), (.dnsrr, "dnsrr")]
        public var unknownValue: String? { if case .unknown(let value) = self { value } else { nil } }
    }

    /// `EndpointPortConfig.PublishMode`: the routing mesh on every node (`ingress`, needs IPVS), or
    /// only on the nodes that run a task (`host`).
    public enum PublishMode: OpenEnum {
        case ingress, host
        case unknown(String)
        public static let spellings: [(value: Self, spelling: String)] = [(.ingress, "ingress"), (.host, "host")]
        public var unknownValue: String? { if case .unknown(let value) = self { value } else { nil } }
    }

    /// `UpdateStatus.State` of a service's rolling update.
    public enum UpdateState: OpenEnum {
        case updating, paused, completed, rollbackStarted, rollbackPaused, rollbackCompleted
        case unknown(String)
        public static let spellings: [(value: Self, spelling: String)] = [
            (.updating, "updating"), (.paused, "paused"), (.completed, "completed"), (.rollbackStarted, "rollback_started"),
            (.rollbackPaused, "rollback_paused"), (.rollbackCompleted, "rollback_completed"),
        ]
        public var unknownValue: String? { if case .unknown(let value) = self { value } else { nil } }
    }

    /// The file a secret or config becomes in the task's container.
    public struct ReferenceFileTarget: Codable, Sendable, Hashable {
        /// Path inside the container (relative paths land in `/run/secrets/` or `/`).
        public var name: String
        public var uid: String?
        public var gid: String?
        /// File mode, e.g. `0o444`.
        public var mode: UInt32?
        public init(name: String, uid: String? = "0", gid: String? = "0", mode: UInt32? = 0o444) {
            self.name = name
            self.uid = uid
            self.gid = gid
            self.mode = mode
        }
        enum CodingKeys: String, CodingKey { case name = "Name", uid = "UID", gid = "GID", mode = "Mode" }
    }

    /// A `ContainerSpec.Secrets` entry.
    public struct SecretReference: Codable, Sendable, Hashable {
        public var file: ReferenceFileTarget?
        public var secretID: String
        public var secretName: String
        public init(secretID: String, secretName: String, file: ReferenceFileTarget?) {
            self.secretID = secretID
            self.secretName = secretName
            self.file = file
        }
        enum CodingKeys: String, CodingKey { case file = "File", secretID = "SecretID", secretName = "SecretName" }
    }

    /// A `ContainerSpec.Configs` entry.
    public struct ConfigReference: Codable, Sendable, Hashable {
        public var file: ReferenceFileTarget?
        /// Set (to `{}`) for a credential spec config instead of a file.
        public var runtime: Empty?
        public var configID: String
        public var configName: String
        public init(configID: String, configName: String, file: ReferenceFileTarget?) {
            self.configID = configID
            self.configName = configName
            self.file = file
        }
        enum CodingKeys: String, CodingKey { case file = "File", runtime = "Runtime", configID = "ConfigID", configName = "ConfigName" }
    }

    /// `TaskSpec.ContainerSpec`: the container each task runs. Durations are nanoseconds.
    public struct ContainerSpec: Codable, Sendable, Hashable {
        public struct DNSConfig: Codable, Sendable, Hashable {
            public var nameservers: [String]?
            public var search: [String]?
            public var options: [String]?
            public init(nameservers: [String]? = nil, search: [String]? = nil, options: [String]? = nil) {
                self.nameservers = nameservers
                self.search = search
                self.options = options
            }
            enum CodingKeys: String, CodingKey { case nameservers = "Nameservers", search = "Search", options = "Options" }
        }

        public var image: String?
        public var labels: [String: String]?
        /// Replaces the image's entrypoint.
        public var command: [String]?
        /// Replaces the image's command.
        public var args: [String]?
        public var hostname: String?
        /// `KEY=value` entries.
        public var env: [String]?
        public var dir: String?
        public var user: String?
        public var groups: [String]?
        public var initProcess: Bool?
        public var tty: Bool?
        public var openStdin: Bool?
        public var readOnly: Bool?
        public var mounts: [Mount]?
        public var stopSignal: String?
        public var stopGracePeriod: Int64?
        public var healthcheck: HealthConfig?
        /// `IP hostname [aliases…]` lines for `/etc/hosts`.
        public var hosts: [String]?
        public var dnsConfig: DNSConfig?
        public var secrets: [SecretReference]?
        public var configs: [ConfigReference]?
        public var isolation: String?
        public var sysctls: [String: String]?
        public var capabilityAdd: [String]?
        public var capabilityDrop: [String]?
        public var ulimits: [Ulimit]?

        public init(image: String? = nil, command: [String]? = nil, args: [String]? = nil, env: [String]? = nil, labels: [String: String]? = nil) {
            self.image = image
            self.command = command
            self.args = args
            self.env = env
            self.labels = labels
        }

        enum CodingKeys: String, CodingKey {
            case image = "Image", labels = "Labels", command = "Command", args = "Args", hostname = "Hostname", env = "Env"
            case dir = "Dir", user = "User", groups = "Groups", initProcess = "Init", tty = "TTY", openStdin = "OpenStdin"
            case readOnly = "ReadOnly", mounts = "Mounts", stopSignal = "StopSignal", stopGracePeriod = "StopGracePeriod"
            case healthcheck = "Healthcheck", hosts = "Hosts", dnsConfig = "DNSConfig", secrets = "Secrets", configs = "Configs"
            case isolation = "Isolation", sysctls = "Sysctls", capabilityAdd = "CapabilityAdd", capabilityDrop = "CapabilityDrop"
            case ulimits = "Ulimits"
        }
    }

    /// `Limit`: the most a task may use.
    public struct Limit: Codable, Sendable, Hashable {
        public var nanoCPUs: Int64?
        public var memoryBytes: Int64?
        public var pids: Int64?
        public init(nanoCPUs: Int64? = nil, memoryBytes: Int64? = nil, pids: Int64? = nil) {
            self.nanoCPUs = nanoCPUs
            self.memoryBytes = memoryBytes
            self.pids = pids
        }
        enum CodingKeys: String, CodingKey { case nanoCPUs = "NanoCPUs", memoryBytes = "MemoryBytes", pids = "Pids" }
    }

    /// `TaskSpec.Resources`: limits, and reservations the scheduler places by.
    public struct ResourceRequirements: Codable, Sendable, Hashable {
        public var limits: Limit?
        public var reservations: ResourceObject?
        public init(limits: Limit? = nil, reservations: ResourceObject? = nil) {
            self.limits = limits
            self.reservations = reservations
        }
        enum CodingKeys: String, CodingKey { case limits = "Limits", reservations = "Reservations" }
    }

    /// `TaskSpec.RestartPolicy` (a container's own `RestartPolicy` is another shape). Durations are nanoseconds.
    public struct TaskRestartPolicy: Codable, Sendable, Hashable {
        public var condition: RestartCondition?
        public var delay: Int64?
        /// 0: no limit.
        public var maxAttempts: UInt64?
        /// 0: unbounded.
        public var window: Int64?
        public init(condition: RestartCondition? = nil, delay: Int64? = nil, maxAttempts: UInt64? = nil, window: Int64? = nil) {
            self.condition = condition
            self.delay = delay
            self.maxAttempts = maxAttempts
            self.window = window
        }
        enum CodingKeys: String, CodingKey { case condition = "Condition", delay = "Delay", maxAttempts = "MaxAttempts", window = "Window" }
    }

    /// `TaskSpec.Placement`.
    public struct Placement: Codable, Sendable, Hashable {
        public struct Preference: Codable, Sendable, Hashable {
            public struct Spread: Codable, Sendable, Hashable {
                /// A label such as `node.labels.datacenter`.
                public var spreadDescriptor: String
                public init(spreadDescriptor: String) { self.spreadDescriptor = spreadDescriptor }
                enum CodingKeys: String, CodingKey { case spreadDescriptor = "SpreadDescriptor" }
            }
            public var spread: Spread?
            public init(spread: Spread?) { self.spread = spread }
            enum CodingKeys: String, CodingKey { case spread = "Spread" }
        }

        /// `node.role==manager`, `node.hostname!=node-2`, `node.labels.gpu==true`, …
        public var constraints: [String]?
        public var preferences: [Preference]?
        /// Most tasks of the service on one node (0: unlimited).
        public var maxReplicas: UInt64?
        public var platforms: [Platform]?
        public init(constraints: [String]? = nil, preferences: [Preference]? = nil, maxReplicas: UInt64? = nil, platforms: [Platform]? = nil) {
            self.constraints = constraints
            self.preferences = preferences
            self.maxReplicas = maxReplicas
            self.platforms = platforms
        }
        enum CodingKeys: String, CodingKey {
            case constraints = "Constraints", preferences = "Preferences", maxReplicas = "MaxReplicas", platforms = "Platforms"
        }
    }

    /// `NetworkAttachmentConfig`: a network a service's tasks join.
    public struct NetworkAttachmentConfig: Codable, Sendable, Hashable {
        /// Network name or ID.
        public var target: String
        public var aliases: [String]?
        public var driverOpts: [String: String]?
        public init(target: String, aliases: [String]? = nil, driverOpts: [String: String]? = nil) {
            self.target = target
            self.aliases = aliases
            self.driverOpts = driverOpts
        }
        enum CodingKeys: String, CodingKey { case target = "Target", aliases = "Aliases", driverOpts = "DriverOpts" }
    }

    /// `TaskSpec`: the template every task of a service is made from.
    public struct TaskSpec: Codable, Sendable, Hashable {
        public var containerSpec: ContainerSpec?
        public var resources: ResourceRequirements?
        public var restartPolicy: TaskRestartPolicy?
        public var placement: Placement?
        public var networks: [NetworkAttachmentConfig]?
        public var logDriver: Driver?
        /// Bumping it redeploys the tasks even when nothing else changed.
        public var forceUpdate: UInt64?
        /// `container` (default), `plugin`, `attachment`.
        public var runtime: String?

        public init(
            containerSpec: ContainerSpec? = nil, resources: ResourceRequirements? = nil, restartPolicy: TaskRestartPolicy? = nil, placement: Placement? = nil,
            networks: [NetworkAttachmentConfig]? = nil
        ) {
            self.containerSpec = containerSpec
            self.resources = resources
            self.restartPolicy = restartPolicy
            self.placement = placement
            self.networks = networks
        }

        enum CodingKeys: String, CodingKey {
            case containerSpec = "ContainerSpec", resources = "Resources", restartPolicy = "RestartPolicy", placement = "Placement"
            case networks = "Networks", logDriver = "LogDriver", forceUpdate = "ForceUpdate", runtime = "Runtime"
        }
    }

    /// `ServiceSpec.Mode`: exactly one of its members is set.
    public struct ServiceMode: Codable, Sendable, Hashable {
        public struct Replicated: Codable, Sendable, Hashable {
            public var replicas: UInt64?
            public init(replicas: UInt64? = nil) { self.replicas = replicas }
            enum CodingKeys: String, CodingKey { case replicas = "Replicas" }
        }
        public struct ReplicatedJob: Codable, Sendable, Hashable {
            public var maxConcurrent: UInt64?
            public var totalCompletions: UInt64?
            public init(maxConcurrent: UInt64? = nil, totalCompletions: UInt64? = nil) {
                self.maxConcurrent = maxConcurrent
                self.totalCompletions = totalCompletions
            }
            enum CodingKeys: String, CodingKey { case maxConcurrent = "MaxConcurrent", totalCompletions = "TotalCompletions" }
        }

        public var replicated: Replicated?
        /// `{}` for one task on every eligible node.
        public var global: Empty?
        public var replicatedJob: ReplicatedJob?
        public var globalJob: Empty?

        public init(replicated: Replicated? = nil, global: Empty? = nil, replicatedJob: ReplicatedJob? = nil, globalJob: Empty? = nil) {
            self.replicated = replicated
            self.global = global
            self.replicatedJob = replicatedJob
            self.globalJob = globalJob
        }

        public static func replicated(_ replicas: UInt64) -> ServiceMode { ServiceMode(replicated: .init(replicas: replicas)) }
        public static let global = ServiceMode(global: Empty())

        enum CodingKeys: String, CodingKey { case replicated = "Replicated", global = "Global", replicatedJob = "ReplicatedJob", globalJob = "GlobalJob" }
    }

    /// `UpdateConfig` (and `RollbackConfig`, same shape). Durations are nanoseconds.
    public struct UpdateConfig: Codable, Sendable, Hashable {
        /// Tasks updated at once (0: all at once).
        public var parallelism: UInt64?
        public var delay: Int64?
        public var failureAction: FailureAction?
        public var monitor: Int64?
        public var maxFailureRatio: Double?
        public var order: UpdateOrder?
        public init(
            parallelism: UInt64? = nil, delay: Int64? = nil, failureAction: FailureAction? = nil, monitor: Int64? = nil, maxFailureRatio: Double? = nil,
            order: UpdateOrder? = nil
        ) {
            self.parallelism = parallelism
            self.delay = delay
            self.failureAction = failureAction
            self.monitor = monitor
            self.maxFailureRatio = maxFailureRatio
            self.order = order
        }
        enum CodingKeys: String, CodingKey {
            case parallelism = "Parallelism", delay = "Delay", failureAction = "FailureAction", monitor = "Monitor"
            case maxFailureRatio = "MaxFailureRatio", order = "Order"
        }
    }

    /// `EndpointPortConfig`: a port a service publishes.
    public struct EndpointPortConfig: Codable, Sendable, Hashable {
        public var name: String?
        /// `tcp`, `udp`, `sctp`.
        public var `protocol`: String?
        public var targetPort: UInt32?
        /// Chosen by the engine (30000+) when absent, for ingress ports.
        public var publishedPort: UInt32?
        public var publishMode: PublishMode?
        public init(name: String? = nil, protocol: String? = "tcp", targetPort: UInt32?, publishedPort: UInt32? = nil, publishMode: PublishMode? = nil) {
            self.name = name
            self.protocol = `protocol`
            self.targetPort = targetPort
            self.publishedPort = publishedPort
            self.publishMode = publishMode
        }
        enum CodingKeys: String, CodingKey {
            case name = "Name", `protocol` = "Protocol", targetPort = "TargetPort", publishedPort = "PublishedPort", publishMode = "PublishMode"
        }
    }

    /// `EndpointSpec`: how the service is reached.
    public struct EndpointSpec: Codable, Sendable, Hashable {
        public var mode: ResolutionMode?
        public var ports: [EndpointPortConfig]?
        public init(mode: ResolutionMode? = nil, ports: [EndpointPortConfig]? = nil) {
            self.mode = mode
            self.ports = ports
        }
        enum CodingKeys: String, CodingKey { case mode = "Mode", ports = "Ports" }
    }

    /// `ServiceSpec`: the body of `POST /services/create` and `POST /services/{id}/update`.
    public struct ServiceSpec: Codable, Sendable, Hashable {
        public var name: String?
        public var labels: [String: String]?
        public var taskTemplate: TaskSpec?
        public var mode: ServiceMode?
        public var updateConfig: UpdateConfig?
        public var rollbackConfig: UpdateConfig?
        public var endpointSpec: EndpointSpec?

        public init(
            name: String? = nil, labels: [String: String]? = nil, taskTemplate: TaskSpec? = nil, mode: ServiceMode? = nil, updateConfig: UpdateConfig? = nil,
            rollbackConfig: UpdateConfig? = nil, endpointSpec: EndpointSpec? = nil
        ) {
            self.name = name
            self.labels = labels
            self.taskTemplate = taskTemplate
            self.mode = mode
            self.updateConfig = updateConfig
            self.rollbackConfig = rollbackConfig
            self.endpointSpec = endpointSpec
        }

        enum CodingKeys: String, CodingKey {
            case name = "Name", labels = "Labels", taskTemplate = "TaskTemplate", mode = "Mode", updateConfig = "UpdateConfig"
            case rollbackConfig = "RollbackConfig", endpointSpec = "EndpointSpec"
        }
    }

    /// `GET /services`, `GET /services/{id}`.
    public struct Service: Codable, Sendable, Hashable {
        /// `Endpoint`: the spec in force and what the engine made of it.
        public struct Endpoint: Codable, Sendable, Hashable {
            public struct VirtualIP: Codable, Sendable, Hashable {
                public var networkID: String?
                /// CIDR, e.g. `10.0.1.2/24`.
                public var addr: String?
                enum CodingKeys: String, CodingKey { case networkID = "NetworkID", addr = "Addr" }
            }
            public var spec: EndpointSpec?
            /// Ports with the published port the engine chose.
            public var ports: [EndpointPortConfig]?
            public var virtualIPs: [VirtualIP]?
            enum CodingKeys: String, CodingKey { case spec = "Spec", ports = "Ports", virtualIPs = "VirtualIPs" }
        }

        /// `UpdateStatus` of the last rolling update.
        public struct UpdateStatus: Codable, Sendable, Hashable {
            public var state: UpdateState?
            public var startedAt: String?
            public var completedAt: String?
            public var message: String?
            enum CodingKeys: String, CodingKey { case state = "State", startedAt = "StartedAt", completedAt = "CompletedAt", message = "Message" }
        }

        /// `ServiceStatus`: task counts, present when listed with `status=true`.
        public struct Status: Codable, Sendable, Hashable {
            public var runningTasks: UInt64?
            public var desiredTasks: UInt64?
            public var completedTasks: UInt64?
            enum CodingKeys: String, CodingKey { case runningTasks = "RunningTasks", desiredTasks = "DesiredTasks", completedTasks = "CompletedTasks" }
        }

        public var id: String
        public var version: ObjectVersion?
        public var createdAt: String?
        public var updatedAt: String?
        public var spec: ServiceSpec?
        /// The spec before the last update (what a rollback returns to).
        public var previousSpec: ServiceSpec?
        public var endpoint: Endpoint?
        public var updateStatus: UpdateStatus?
        public var serviceStatus: Status?

        enum CodingKeys: String, CodingKey {
            case id = "ID", version = "Version", createdAt = "CreatedAt", updatedAt = "UpdatedAt", spec = "Spec"
            case previousSpec = "PreviousSpec", endpoint = "Endpoint", updateStatus = "UpdateStatus", serviceStatus = "ServiceStatus"
        }
    }
}
