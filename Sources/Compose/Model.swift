/// The normalised compose model: what the files mean once merged, interpolated, validated and with
/// every short form expanded. Relative paths are absolute (resolved against the project directory).
/// Orchestration turns it into Engine API create bodies; `stackpilot config` prints it.
public struct ComposeProject: Sendable, Codable, Equatable {
    /// Project name, normalised (`-p` > COMPOSE_PROJECT_NAME > top-level `name:` > directory name).
    public var name: String
    /// Absolute project directory (the first file's directory unless given).
    public var workingDirectory: String
    /// Absolute paths of the compose files, in the order given.
    public var configFiles: [String]
    /// Services sorted by name.
    public var services: [ServiceConfig]
    /// Networks by key. Includes the implicit `default` network when a service uses it.
    public var networks: [String: NetworkConfig]
    public var volumes: [String: VolumeConfig]
    public var secrets: [String: FileObjectConfig]
    public var configs: [String: FileObjectConfig]
    /// Non-fatal findings (e.g. the obsolete `version:` key, variables used without a value).
    public var warnings: [ComposeDiagnostic]
    /// What must never be printed (see `Redaction`); filled by the loader, never serialised.
    public var sensitiveValues = SensitiveValues()

    public func service(named name: String) -> ServiceConfig? { services.first { $0.name == name } }
    public var serviceNames: [String] { services.map(\.name) }
}

public struct ServiceConfig: Sendable, Codable, Equatable {
    public var name: String
    public var image: String?
    public var build: BuildConfig?
    public var command: [String]?
    public var entrypoint: [String]?
    /// Resolved environment: `env_file` entries first, then `environment` over them; variables given
    /// without a value take it from the environment compose interpolates with, and are dropped when unset.
    public var environment: [String: String]
    /// Absolute paths of the env files that were merged into `environment`.
    public var envFiles: [String]
    /// One entry per port, ranges expanded.
    public var ports: [PortMapping]
    public var expose: [String]
    public var volumes: [ServiceVolume]
    /// Networks the service joins (sorted by key); empty when `network_mode` is set.
    public var networks: [ServiceNetwork]
    public var networkMode: String?
    public var dependsOn: [ServiceDependency]
    public var healthcheck: Healthcheck?
    public var restart: String?
    public var labels: [String: String]
    public var containerName: String?
    public var hostname: String?
    public var domainname: String?
    public var user: String?
    public var workingDir: String?
    public var privileged: Bool
    public var readOnly: Bool
    public var initProcess: Bool?
    public var tty: Bool
    public var stdinOpen: Bool
    public var capAdd: [String]
    public var capDrop: [String]
    public var devices: [DeviceMapping]
    /// `host:ip` entries; `host-gateway` is kept as is (the engine resolves it).
    public var extraHosts: [String]
    public var dns: [String]
    public var dnsSearch: [String]
    public var tmpfs: [String]
    public var securityOpt: [String]
    public var sysctls: [String: String]
    public var ulimits: [String: Ulimit]
    public var shmSize: Int64?
    public var pid: String?
    public var ipc: String?
    public var platform: String?
    public var logging: Logging?
    public var deploy: DeployConfig?
    public var stopGracePeriod: ComposeDuration?
    public var stopSignal: String?
    public var profiles: [String]
    public var pullPolicy: String?
    public var secrets: [FileReference]
    public var configs: [FileReference]
    /// `gpus:` (compose v2): device requests that always ask for the `gpu` capability.
    public var gpus: [DeviceRequest] = []
    /// `x-*` keys, interpolated, as plain values.
    public var extensions: [String: ComposeValue]
    /// The other keys of `ServiceKey.all` (mem_limit, links, cpu_shares, ...), normalised (bytes, numbers,
    /// string lists) where they reach the create body, as given where they are declared ignored.
    public var other: [String: ComposeValue]

    /// Environment as `KEY=VALUE` strings sorted by key (the Engine API `Env` form).
    public var environmentList: [String] { environment.keys.sorted().map { "\($0)=\(environment[$0]!)" } }
}

public struct BuildConfig: Sendable, Codable, Equatable {
    /// Absolute path, or a git/http URL as given.
    public var context: String
    public var dockerfile: String?
    public var args: [String: String]
    public var target: String?
    public var labels: [String: String]
}

public struct PortMapping: Sendable, Codable, Equatable, Hashable {
    /// Container port.
    public var target: Int
    /// Host port, or a host range such as `8000-8010` when one container port may take any of them;
    /// nil when the engine picks a port.
    public var published: String?
    public var hostIP: String?
    /// tcp, udp or sctp.
    public var `protocol`: String
    public var mode: String?
}

public struct ServiceVolume: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable { case bind, volume, tmpfs, npipe, image, cluster }
    public var type: Kind
    /// Absolute host path for binds; volume key (as in the top-level `volumes:`) for named volumes;
    /// nil for anonymous volumes and tmpfs.
    public var source: String?
    public var target: String
    public var readOnly: Bool
    /// bind: propagation (rprivate, rshared, ...), SELinux label (z, Z), create_host_path.
    public var propagation: String?
    public var selinux: String?
    public var createHostPath: Bool?
    /// volume: nocopy.
    public var noCopy: Bool?
    /// tmpfs: size in bytes and mode.
    public var tmpfsSize: Int64?
    public var tmpfsMode: Int?
    public var consistency: String?
}

public struct ServiceNetwork: Sendable, Codable, Equatable {
    /// Key in the project's `networks:` (not the engine name; see `NetworkConfig.name`).
    public var name: String
    public var aliases: [String]
    public var ipv4Address: String?
    public var ipv6Address: String?
    public var priority: Int?
}

public struct ServiceDependency: Sendable, Codable, Equatable {
    public enum Condition: String, Sendable, Codable, CaseIterable {
        case started = "service_started"
        case healthy = "service_healthy"
        case completedSuccessfully = "service_completed_successfully"
    }
    public var service: String
    public var condition: Condition
    public var required: Bool
    public var restart: Bool
}

public struct Healthcheck: Sendable, Codable, Equatable {
    /// `["CMD", ...]`, `["CMD-SHELL", "..."]` or `["NONE"]`; a string test becomes `["CMD-SHELL", string]`.
    public var test: [String]?
    public var interval: ComposeDuration?
    public var timeout: ComposeDuration?
    public var startPeriod: ComposeDuration?
    public var startInterval: ComposeDuration?
    public var retries: Int?
    public var disable: Bool
}

public struct DeviceMapping: Sendable, Codable, Equatable {
    public var source: String
    public var target: String
    public var permissions: String
}

public struct Ulimit: Sendable, Codable, Equatable {
    public var soft: Int64
    public var hard: Int64
}

public struct Logging: Sendable, Codable, Equatable {
    public var driver: String?
    public var options: [String: String]
}

public struct DeployConfig: Sendable, Codable, Equatable {
    public var mode: String?
    public var replicas: Int?
    public var limits: ResourceSpec?
    public var reservations: ResourceSpec?
    /// Swarm-only keys (placement, update_config, restart_policy, ...) kept as given; the engine ignores them.
    public var other: [String: ComposeValue]
}

public struct ResourceSpec: Sendable, Codable, Equatable {
    public var cpus: Double?
    /// Bytes.
    public var memory: Int64?
    public var pids: Int64?
    /// `reservations.devices`: GPU and other device requests (Engine `HostConfig.DeviceRequests`).
    public var devices: [DeviceRequest] = []
    /// `reservations.generic_resources`: discrete node resources a swarm task reserves (`gpu: 1`).
    public var genericResources: [GenericResource] = []

    public init(
        cpus: Double? = nil, memory: Int64? = nil, pids: Int64? = nil, devices: [DeviceRequest] = [],
        genericResources: [GenericResource] = []
    ) {
        self.cpus = cpus
        self.memory = memory
        self.pids = pids
        self.devices = devices
        self.genericResources = genericResources
    }
}

/// `{discrete_resource_spec: {kind: gpu, value: 2}}`: a swarm node resource (`--node-generic-resource`).
public struct GenericResource: Sendable, Codable, Equatable {
    public var kind: String
    public var value: Int64

    public init(kind: String, value: Int64) {
        self.kind = kind
        self.value = value
    }
}

/// A device request such as `{driver: nvidia, count: all, capabilities: [gpu]}`.
public struct DeviceRequest: Sendable, Codable, Equatable {
    public var driver: String?
    /// -1 for `all`; nil when `device_ids` is given instead.
    public var count: Int?
    public var deviceIDs: [String]
    public var capabilities: [String]
    public var options: [String: String]

    public init(driver: String? = nil, count: Int? = nil, deviceIDs: [String] = [], capabilities: [String] = [], options: [String: String] = [:]) {
        self.driver = driver
        self.count = count
        self.deviceIDs = deviceIDs
        self.capabilities = capabilities
        self.options = options
    }
}

public struct FileReference: Sendable, Codable, Equatable {
    public var source: String
    /// Defaults to `/run/secrets/<source>` for secrets and `/<source>` for configs.
    public var target: String
    public var uid: String?
    public var gid: String?
    public var mode: Int?
    /// What is copied into the container at `target` before it starts, when the top-level object is
    /// sourced from `environment` (the variable's value) or `content`, as compose v2 does on one
    /// host; nil for `file:` (bind-mounted) and `external`. A secret: never rendered nor serialised,
    /// hashed only under the config hash's key.
    public var content: String? = nil

    enum CodingKeys: String, CodingKey { case source, target, uid, gid, mode }
}

public struct NetworkConfig: Sendable, Codable, Equatable {
    /// Engine name: the explicit `name:`, else `<project>_<key>` (external: the key).
    public var name: String
    public var driver: String?
    public var driverOpts: [String: String]
    public var external: Bool
    public var `internal`: Bool
    public var attachable: Bool
    public var enableIPv6: Bool
    public var labels: [String: String]
    public var ipam: ComposeValue?
}

public struct VolumeConfig: Sendable, Codable, Equatable {
    /// Engine name: the explicit `name:`, else `<project>_<key>` (external: the key).
    public var name: String
    public var driver: String?
    public var driverOpts: [String: String]
    public var external: Bool
    public var labels: [String: String]
}

/// A top-level secret or config.
public struct FileObjectConfig: Sendable, Codable, Equatable {
    public var name: String
    /// Absolute path of `file:`.
    public var file: String?
    /// Name of the variable given by `environment:`.
    public var environment: String?
    public var content: String?
    public var external: Bool
}

/// A plain JSON-like value that keeps key order (rendering, extensions, canonical JSON for hashes).
public indirect enum ComposeValue: Sendable, Equatable, Hashable, Codable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([ComposeValue])
    case object([Pair])

    public struct Pair: Sendable, Equatable, Hashable, Codable {
        public var key: String
        public var value: ComposeValue
        public init(_ key: String, _ value: ComposeValue) {
            self.key = key
            self.value = value
        }
    }

    public subscript(key: String) -> ComposeValue? {
        if case .object(let pairs) = self { return pairs.first { $0.key == key }?.value }
        return nil
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() {
            self = .null
        } else if let b = try? c.decode(Bool.self) {
            self = .bool(b)
        } else if let i = try? c.decode(Int64.self) {
            self = .int(i)
        } else if let d = try? c.decode(Double.self) {
            self = .double(d)
        } else if let s = try? c.decode(String.self) {
            self = .string(s)
        } else if let a = try? c.decode([ComposeValue].self) {
            self = .array(a)
        } else {
            let dict = try c.decode([String: ComposeValue].self)
            self = .object(dict.keys.sorted().map { Pair($0, dict[$0]!) })
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .int(let i): try c.encode(i)
        case .double(let d): try c.encode(d)
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let pairs):
            var dict: [String: ComposeValue] = [:]
            for p in pairs { dict[p.key] = p.value }
            try c.encode(dict)
        }
    }
}
