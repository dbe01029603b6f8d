import Foundation

extension DockerEngine {
    /// A string the engine sends from a set that grows between versions: the values this client knows
    /// are cases, anything else decodes to `.unknown(value)` (and encodes back unchanged), so a newer
    /// engine never fails a decode and a `switch` over the known cases stays exhaustive.
    public protocol OpenEnum: Codable, Sendable, Hashable, CustomStringConvertible {
        /// Every known case with the engine's spelling.
        static var spellings: [(value: Self, spelling: String)] { get }
        static func unknown(_ value: String) -> Self
        /// The engine's spelling of a value outside `spellings`; nil for a known case.
        var unknownValue: String? { get }
    }
}

extension DockerEngine.OpenEnum {
    public init(rawValue: String) {
        self = Self.spellings.first { $0.spelling == rawValue }?.value ?? .unknown(rawValue)
    }

    /// The engine's spelling.
    public var rawValue: String {
        unknownValue ?? Self.spellings.first { $0.value == self }?.spelling ?? ""
    }

    public var description: String { rawValue }

    public init(from decoder: any Decoder) throws {
        self.init(rawValue: try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

extension DockerEngine {
    /// The `Version` of a swarm object. An update must send the `index` it read: the engine refuses
    /// a write based on a version that has moved on (someone else wrote in between).
    public struct ObjectVersion: Codable, Sendable, Hashable {
        public var index: UInt64?
        public init(index: UInt64? = nil) { self.index = index }
        enum CodingKeys: String, CodingKey { case index = "Index" }
    }

    /// A named driver with options (`Driver` in the API): task log drivers, secret drivers, templating.
    public struct Driver: Codable, Sendable, Hashable {
        public var name: String?
        public var options: [String: String]?
        public init(name: String? = nil, options: [String: String]? = nil) {
            self.name = name
            self.options = options
        }
        enum CodingKeys: String, CodingKey { case name = "Name", options = "Options" }
    }

    /// `Platform`: an OS and CPU architecture (`linux`, `x86_64`).
    public struct Platform: Codable, Sendable, Hashable {
        public var architecture: String?
        public var os: String?
        public init(architecture: String? = nil, os: String? = nil) {
            self.architecture = architecture
            self.os = os
        }
        enum CodingKeys: String, CodingKey { case architecture = "Architecture", os = "OS" }
    }

    /// `TLSInfo`: the swarm's root CA and the issuer of node certificates (base64 bytes kept as text).
    public struct TLSInfo: Codable, Sendable, Hashable {
        public var trustRoot: String?
        public var certIssuerSubject: String?
        public var certIssuerPublicKey: String?
        enum CodingKeys: String, CodingKey {
            case trustRoot = "TrustRoot", certIssuerSubject = "CertIssuerSubject", certIssuerPublicKey = "CertIssuerPublicKey"
        }
    }

    /// `SwarmSpec`: the user-modifiable settings of a swarm. Durations are nanoseconds.
    public struct SwarmSpec: Codable, Sendable, Hashable {
        public struct Orchestration: Codable, Sendable, Hashable {
            /// Historic tasks kept per slot or node; negative keeps all.
            public var taskHistoryRetentionLimit: Int64?
            public init(taskHistoryRetentionLimit: Int64? = nil) { self.taskHistoryRetentionLimit = taskHistoryRetentionLimit }
            enum CodingKeys: String, CodingKey { case taskHistoryRetentionLimit = "TaskHistoryRetentionLimit" }
        }
        public struct Raft: Codable, Sendable, Hashable {
            public var snapshotInterval: UInt64?
            public var keepOldSnapshots: UInt64?
            public var logEntriesForSlowFollowers: UInt64?
            public var electionTick: Int?
            public var heartbeatTick: Int?
            public init() {}
            enum CodingKeys: String, CodingKey {
                case snapshotInterval = "SnapshotInterval", keepOldSnapshots = "KeepOldSnapshots"
                case logEntriesForSlowFollowers = "LogEntriesForSlowFollowers", electionTick = "ElectionTick", heartbeatTick = "HeartbeatTick"
            }
        }
        public struct Dispatcher: Codable, Sendable, Hashable {
            public var heartbeatPeriod: Int64?
            public init(heartbeatPeriod: Int64? = nil) { self.heartbeatPeriod = heartbeatPeriod }
            enum CodingKeys: String, CodingKey { case heartbeatPeriod = "HeartbeatPeriod" }
        }
        public struct CAConfig: Codable, Sendable, Hashable {
            public struct ExternalCA: Codable, Sendable, Hashable {
                public var `protocol`: String?
                public var url: String?
                public var options: [String: String]?
                public var caCert: String?
                enum CodingKeys: String, CodingKey { case `protocol` = "Protocol", url = "URL", options = "Options", caCert = "CACert" }
            }
            public var nodeCertExpiry: Int64?
            public var externalCAs: [ExternalCA]?
            public var signingCACert: String?
            public var signingCAKey: String?
            public var forceRotate: UInt64?
            public init() {}
            enum CodingKeys: String, CodingKey {
                case nodeCertExpiry = "NodeCertExpiry", externalCAs = "ExternalCAs", signingCACert = "SigningCACert"
                case signingCAKey = "SigningCAKey", forceRotate = "ForceRotate"
            }
        }
        public struct EncryptionConfig: Codable, Sendable, Hashable {
            public var autoLockManagers: Bool?
            public init(autoLockManagers: Bool? = nil) { self.autoLockManagers = autoLockManagers }
            enum CodingKeys: String, CodingKey { case autoLockManagers = "AutoLockManagers" }
        }
        public struct TaskDefaults: Codable, Sendable, Hashable {
            public var logDriver: Driver?
            public init(logDriver: Driver? = nil) { self.logDriver = logDriver }
            enum CodingKeys: String, CodingKey { case logDriver = "LogDriver" }
        }

        public var name: String?
        public var labels: [String: String]?
        public var orchestration: Orchestration?
        public var raft: Raft?
        public var dispatcher: Dispatcher?
        public var caConfig: CAConfig?
        public var encryptionConfig: EncryptionConfig?
        public var taskDefaults: TaskDefaults?

        public init(name: String? = nil, labels: [String: String]? = nil) {
            self.name = name
            self.labels = labels
        }

        enum CodingKeys: String, CodingKey {
            case name = "Name", labels = "Labels", orchestration = "Orchestration", raft = "Raft", dispatcher = "Dispatcher"
            case caConfig = "CAConfig", encryptionConfig = "EncryptionConfig", taskDefaults = "TaskDefaults"
        }
    }

    /// `ClusterInfo`: the swarm as `GET /info` reports it (no join tokens); the body of `GET /swarm` adds them.
    public struct ClusterInfo: Codable, Sendable, Hashable {
        public var id: String?
        public var version: ObjectVersion?
        public var createdAt: String?
        public var updatedAt: String?
        public var spec: SwarmSpec?
        public var tlsInfo: TLSInfo?
        public var rootRotationInProgress: Bool?
        /// VXLAN port of overlay traffic (4789 when 0 or absent).
        public var dataPathPort: UInt32?
        /// CIDRs that overlay networks' subnets are taken from.
        public var defaultAddrPool: [String]?
        public var subnetSize: UInt32?

        enum CodingKeys: String, CodingKey {
            case id = "ID", version = "Version", createdAt = "CreatedAt", updatedAt = "UpdatedAt", spec = "Spec", tlsInfo = "TLSInfo"
            case rootRotationInProgress = "RootRotationInProgress", dataPathPort = "DataPathPort"
            case defaultAddrPool = "DefaultAddrPool", subnetSize = "SubnetSize"
        }
    }

    /// `JoinTokens`: what a worker or a manager sends to join. Secrets: never log or print them.
    public struct JoinTokens: Codable, Sendable, Hashable {
        public var worker: String?
        public var manager: String?
        enum CodingKeys: String, CodingKey { case worker = "Worker", manager = "Manager" }
    }

    /// `GET /swarm` (the API's `Swarm`): the cluster and its join tokens. Only managers answer.
    public struct SwarmInspect: Codable, Sendable, Hashable {
        public var cluster: ClusterInfo
        public var joinTokens: JoinTokens?

        public var id: String? { cluster.id }
        public var version: ObjectVersion? { cluster.version }
        public var spec: SwarmSpec? { cluster.spec }

        public init(cluster: ClusterInfo, joinTokens: JoinTokens? = nil) {
            self.cluster = cluster
            self.joinTokens = joinTokens
        }

        enum CodingKeys: String, CodingKey { case joinTokens = "JoinTokens" }

        // The engine flattens ClusterInfo's keys beside JoinTokens (Go struct embedding).
        public init(from decoder: any Decoder) throws {
            cluster = try ClusterInfo(from: decoder)
            joinTokens = try decoder.container(keyedBy: CodingKeys.self).decodeIfPresent(JoinTokens.self, forKey: .joinTokens)
        }

        public func encode(to encoder: any Encoder) throws {
            try cluster.encode(to: encoder)
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encodeIfPresent(joinTokens, forKey: .joinTokens)
        }
    }

    /// `LocalNodeState`: where this engine stands in a swarm (`GET /info` → `Swarm.LocalNodeState`).
    public enum LocalNodeState: OpenEnum {
        case inactive, pending, active, error, locked
        case unknown(String)
        public static let spellings: [(value: Self, spelling: String)] = [
            (.inactive, "inactive"), (.pending, "pending"), (.active, "active"), (.error, "error"), (.locked, "locked"),
        ]
        public var unknownValue: String? { if case .unknown(let value) = self { value } else { nil } }
    }

    /// `SwarmInfo`: the `Swarm` part of `GET /info`, answered by every engine, in a swarm or not.
    public struct SwarmInfo: Codable, Sendable, Hashable {
        public struct Peer: Codable, Sendable, Hashable {
            public var nodeID: String?
            public var addr: String?
            enum CodingKeys: String, CodingKey { case nodeID = "NodeID", addr = "Addr" }
        }

        public var nodeID: String?
        public var nodeAddr: String?
        public var localNodeState: LocalNodeState?
        /// True on managers: this engine can answer swarm calls (services, nodes, tasks).
        public var controlAvailable: Bool?
        public var error: String?
        public var remoteManagers: [Peer]?
        public var nodes: Int?
        public var managers: Int?
        public var cluster: ClusterInfo?
        public var warnings: [String]?

        enum CodingKeys: String, CodingKey {
            case nodeID = "NodeID", nodeAddr = "NodeAddr", localNodeState = "LocalNodeState", controlAvailable = "ControlAvailable"
            case error = "Error", remoteManagers = "RemoteManagers", nodes = "Nodes", managers = "Managers", cluster = "Cluster"
            case warnings = "Warnings"
        }
    }

    /// Body of `POST /swarm/init`.
    public struct SwarmInitRequest: Codable, Sendable, Hashable {
        /// `0.0.0.0:2377` by default; an interface name or address with an optional port.
        public var listenAddr: String?
        /// The address other nodes reach this one at (`<ip|interface>[:port]`).
        public var advertiseAddr: String?
        public var dataPathAddr: String?
        public var dataPathPort: UInt32?
        public var defaultAddrPool: [String]?
        public var forceNewCluster: Bool?
        public var subnetSize: UInt32?
        public var spec: SwarmSpec?
        public var autoLockManagers: Bool?
        public var availability: NodeAvailability?

        public init(listenAddr: String? = "0.0.0.0:2377", advertiseAddr: String? = nil, spec: SwarmSpec? = nil) {
            self.listenAddr = listenAddr
            self.advertiseAddr = advertiseAddr
            self.spec = spec
        }

        enum CodingKeys: String, CodingKey {
            case listenAddr = "ListenAddr", advertiseAddr = "AdvertiseAddr", dataPathAddr = "DataPathAddr", dataPathPort = "DataPathPort"
            case defaultAddrPool = "DefaultAddrPool", forceNewCluster = "ForceNewCluster", subnetSize = "SubnetSize", spec = "Spec"
            case autoLockManagers = "AutoLockManagers", availability = "Availability"
        }
    }

    /// Body of `POST /swarm/join`.
    public struct SwarmJoinRequest: Codable, Sendable, Hashable {
        public var listenAddr: String?
        public var advertiseAddr: String?
        public var dataPathAddr: String?
        /// Managers already in the swarm (`host:2377`).
        public var remoteAddrs: [String]
        /// The worker or manager token of `JoinTokens` (a secret).
        public var joinToken: String
        public var availability: NodeAvailability?

        public init(remoteAddrs: [String], joinToken: String, listenAddr: String? = "0.0.0.0:2377", advertiseAddr: String? = nil) {
            self.remoteAddrs = remoteAddrs
            self.joinToken = joinToken
            self.listenAddr = listenAddr
            self.advertiseAddr = advertiseAddr
        }

        enum CodingKeys: String, CodingKey {
            case listenAddr = "ListenAddr", advertiseAddr = "AdvertiseAddr", dataPathAddr = "DataPathAddr", remoteAddrs = "RemoteAddrs"
            case joinToken = "JoinToken", availability = "Availability"
        }
    }

    /// The answer of `POST /services/create`, `/secrets/create` and `/configs/create`.
    public struct SwarmCreateResponse: Codable, Sendable, Hashable {
        public var id: String
        /// Services only: e.g. the image could not be pinned to a digest.
        public var warning: String?
        public var warnings: [String]?

        public init(id: String, warning: String? = nil, warnings: [String]? = nil) {
            self.id = id
            self.warning = warning
            self.warnings = warnings
        }

        enum CodingKeys: String, CodingKey { case id = "ID", warning = "Warning", warnings = "Warnings" }
        /// The documented `IdResponse` spells it `Id`; engines send `ID`. Either is accepted.
        private enum LegacyKeys: String, CodingKey { case id = "Id" }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            if let id = try container.decodeIfPresent(String.self, forKey: .id) {
                self.id = id
            } else {
                self.id = try decoder.container(keyedBy: LegacyKeys.self).decode(String.self, forKey: .id)
            }
            warning = try container.decodeIfPresent(String.self, forKey: .warning)
            warnings = try container.decodeIfPresent([String].self, forKey: .warnings)
        }
    }

    /// The answer of `POST /services/{id}/update`.
    public struct ServiceUpdateResponse: Codable, Sendable, Hashable {
        public var warnings: [String]?
        enum CodingKeys: String, CodingKey { case warnings = "Warnings" }
    }
}
