import Foundation

extension DockerEngine {
    /// `NodeRole`.
    public enum NodeRole: OpenEnum {
        case worker, manager
        case unknown(String)
        public static let spellings: [(value: Self, spelling: String)] = [(.worker, "worker"), (.manager, "manager")]
        public var unknownValue: String? { if case .unknown(let value) = self { value } else { nil } }
    }

    /// `NodeAvailability`: whether the scheduler may place tasks on the node.
    public enum NodeAvailability: OpenEnum {
        /// Takes new tasks.
        case active
        /// Keeps its tasks, takes no new ones.
        case pause
        /// Its tasks are moved to other nodes.
        case drain
        case unknown(String)
        public static let spellings: [(value: Self, spelling: String)] = [(.active, "active"), (.pause, "pause"), (.drain, "drain")]
        public var unknownValue: String? { if case .unknown(let value) = self { value } else { nil } }
    }

    /// `NodeState`, as the managers see the node.
    public enum NodeState: OpenEnum {
        case ready, down, disconnected
        case unknown(String)
        public static let spellings: [(value: Self, spelling: String)] = [(.ready, "ready"), (.down, "down"), (.disconnected, "disconnected")]
        public var unknownValue: String? { if case .unknown(let value) = self { value } else { nil } }
    }

    /// `Reachability` of a manager from the other managers.
    public enum Reachability: OpenEnum {
        case reachable, unreachable
        case unknown(String)
        public static let spellings: [(value: Self, spelling: String)] = [(.reachable, "reachable"), (.unreachable, "unreachable")]
        public var unknownValue: String? { if case .unknown(let value) = self { value } else { nil } }
    }

    /// A `GenericResources` entry: a named (`gpu` = `GPU-3a1b…`) or counted (`gpu` = 2) resource a
    /// node offers or a task reserves.
    public struct GenericResource: Codable, Sendable, Hashable {
        public struct Named: Codable, Sendable, Hashable {
            public var kind: String?
            public var value: String?
            public init(kind: String? = nil, value: String? = nil) {
                self.kind = kind
                self.value = value
            }
            enum CodingKeys: String, CodingKey { case kind = "Kind", value = "Value" }
        }
        public struct Discrete: Codable, Sendable, Hashable {
            public var kind: String?
            public var value: Int64?
            public init(kind: String? = nil, value: Int64? = nil) {
                self.kind = kind
                self.value = value
            }
            enum CodingKeys: String, CodingKey { case kind = "Kind", value = "Value" }
        }
        public var namedResourceSpec: Named?
        public var discreteResourceSpec: Discrete?
        public init(namedResourceSpec: Named? = nil, discreteResourceSpec: Discrete? = nil) {
            self.namedResourceSpec = namedResourceSpec
            self.discreteResourceSpec = discreteResourceSpec
        }
        enum CodingKeys: String, CodingKey { case namedResourceSpec = "NamedResourceSpec", discreteResourceSpec = "DiscreteResourceSpec" }
    }

    /// `ResourceObject`: CPUs (in 1e-9 CPUs), memory and generic resources; what a node offers and
    /// what a task reserves.
    public struct ResourceObject: Codable, Sendable, Hashable {
        public var nanoCPUs: Int64?
        public var memoryBytes: Int64?
        public var genericResources: [GenericResource]?
        public init(nanoCPUs: Int64? = nil, memoryBytes: Int64? = nil, genericResources: [GenericResource]? = nil) {
            self.nanoCPUs = nanoCPUs
            self.memoryBytes = memoryBytes
            self.genericResources = genericResources
        }
        enum CodingKeys: String, CodingKey { case nanoCPUs = "NanoCPUs", memoryBytes = "MemoryBytes", genericResources = "GenericResources" }
    }

    /// `NodeSpec`: what an update may change.
    public struct NodeSpec: Codable, Sendable, Hashable {
        public var name: String?
        public var labels: [String: String]?
        public var role: NodeRole?
        public var availability: NodeAvailability?
        public init(name: String? = nil, labels: [String: String]? = nil, role: NodeRole? = nil, availability: NodeAvailability? = nil) {
            self.name = name
            self.labels = labels
            self.role = role
            self.availability = availability
        }
        enum CodingKeys: String, CodingKey { case name = "Name", labels = "Labels", role = "Role", availability = "Availability" }
    }

    /// `GET /nodes`, `GET /nodes/{id}`.
    public struct Node: Codable, Sendable, Hashable {
        /// `NodeDescription`: what the node's engine reports about itself.
        public struct Description: Codable, Sendable, Hashable {
            public struct Engine: Codable, Sendable, Hashable {
                public struct Plugin: Codable, Sendable, Hashable {
                    public var type: String?
                    public var name: String?
                    enum CodingKeys: String, CodingKey { case type = "Type", name = "Name" }
                }
                public var engineVersion: String?
                public var labels: [String: String]?
                public var plugins: [Plugin]?
                enum CodingKeys: String, CodingKey { case engineVersion = "EngineVersion", labels = "Labels", plugins = "Plugins" }
            }
            public var hostname: String?
            public var platform: Platform?
            public var resources: ResourceObject?
            public var engine: Engine?
            public var tlsInfo: TLSInfo?
            enum CodingKeys: String, CodingKey {
                case hostname = "Hostname", platform = "Platform", resources = "Resources", engine = "Engine", tlsInfo = "TLSInfo"
            }
        }

        /// `NodeStatus`.
        public struct Status: Codable, Sendable, Hashable {
            public var state: NodeState?
            public var message: String?
            /// The node's IP address.
            public var addr: String?
            enum CodingKeys: String, CodingKey { case state = "State", message = "Message", addr = "Addr" }
        }

        /// `ManagerStatus`, present on managers only.
        public struct ManagerStatus: Codable, Sendable, Hashable {
            public var leader: Bool?
            public var reachability: Reachability?
            /// `ip:port` of the manager's raft endpoint.
            public var addr: String?
            enum CodingKeys: String, CodingKey { case leader = "Leader", reachability = "Reachability", addr = "Addr" }
        }

        public var id: String
        public var version: ObjectVersion?
        public var createdAt: String?
        public var updatedAt: String?
        public var spec: NodeSpec?
        public var description: Description?
        public var status: Status?
        public var managerStatus: ManagerStatus?

        enum CodingKeys: String, CodingKey {
            case id = "ID", version = "Version", createdAt = "CreatedAt", updatedAt = "UpdatedAt", spec = "Spec"
            case description = "Description", status = "Status", managerStatus = "ManagerStatus"
        }
    }
}
