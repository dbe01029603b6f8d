import Foundation

extension DockerEngine {
    /// `TaskState`, in the order a task goes through them: `new` … `running`, then one of
    /// `complete`, `shutdown`, `failed`, `rejected`, `remove`, `orphaned`.
    public enum TaskState: OpenEnum {
        case new, allocated, pending, assigned, accepted, preparing, ready, starting, running
        case complete, shutdown, failed, rejected, remove, orphaned
        case unknown(String)
        public static let spellings: [(value: Self, spelling: String)] = [
            (.new, "new"), (.allocated, "allocated"), (.pending, "pending"), (.assigned, "assigned"), (.accepted, "accepted"),
            (.preparing, "preparing"), (.ready, "ready"), (.starting, "starting"), (.running, "running"), (.complete, "complete"),
            (.shutdown, "shutdown"), (.failed, "failed"), (.rejected, "rejected"), (.remove, "remove"), (.orphaned, "orphaned"),
        ]
        public var unknownValue: String? { if case .unknown(let value) = self { value } else { nil } }

        /// A state the task does not leave: it will not run (again).
        public var isTerminal: Bool {
            switch self {
            case .complete, .shutdown, .failed, .rejected, .remove, .orphaned: true
            case .new, .allocated, .pending, .assigned, .accepted, .preparing, .ready, .starting, .running, .unknown: false
            }
        }
    }

    /// `GET /tasks`, `GET /tasks/{id}`: one scheduled instance of a service on a node.
    ///
    /// Named `SwarmTask` so that it never shadows Swift's `Task` in code that extends `DockerEngine`.
    public struct SwarmTask: Codable, Sendable, Hashable {
        /// `TaskStatus`.
        public struct Status: Codable, Sendable, Hashable {
            public struct ContainerStatus: Codable, Sendable, Hashable {
                public var containerID: String?
                public var pid: Int?
                public var exitCode: Int?
                enum CodingKeys: String, CodingKey { case containerID = "ContainerID", pid = "PID", exitCode = "ExitCode" }
            }
            public struct PortStatus: Codable, Sendable, Hashable {
                public var ports: [EndpointPortConfig]?
                enum CodingKeys: String, CodingKey { case ports = "Ports" }
            }
            public var timestamp: String?
            public var state: TaskState?
            /// What the task is doing (`started`, `preparing`), or why it is waiting.
            public var message: String?
            /// Why it failed or could not be placed: `no suitable node (…)`, `task: non-zero exit (1)`, …
            public var err: String?
            public var containerStatus: ContainerStatus?
            public var portStatus: PortStatus?
            enum CodingKeys: String, CodingKey {
                case timestamp = "Timestamp", state = "State", message = "Message", err = "Err", containerStatus = "ContainerStatus"
                case portStatus = "PortStatus"
            }
        }

        /// `NetworkAttachment`: a network the task joined and its addresses on it.
        public struct NetworkAttachment: Codable, Sendable, Hashable {
            /// The swarm's view of the network (not the shape of `GET /networks`).
            public struct Network: Codable, Sendable, Hashable {
                public struct Spec: Codable, Sendable, Hashable {
                    public var name: String?
                    public var labels: [String: String]?
                    public var driverConfiguration: Driver?
                    public var attachable: Bool?
                    public var ingress: Bool?
                    public var scope: String?
                    enum CodingKeys: String, CodingKey {
                        case name = "Name", labels = "Labels", driverConfiguration = "DriverConfiguration", attachable = "Attachable"
                        case ingress = "Ingress", scope = "Scope"
                    }
                }
                public var id: String?
                public var spec: Spec?
                enum CodingKeys: String, CodingKey { case id = "ID", spec = "Spec" }
            }
            public var network: Network?
            /// CIDR, e.g. `10.0.1.5/24`.
            public var addresses: [String]?
            enum CodingKeys: String, CodingKey { case network = "Network", addresses = "Addresses" }
        }

        public var id: String
        public var version: ObjectVersion?
        public var createdAt: String?
        public var updatedAt: String?
        public var name: String?
        public var labels: [String: String]?
        public var spec: TaskSpec?
        public var serviceID: String?
        /// Replicated services: the replica number (1…N). Global services have none.
        public var slot: Int?
        /// Empty while the task is not yet placed.
        public var nodeID: String?
        public var assignedGenericResources: [GenericResource]?
        public var status: Status?
        public var desiredState: TaskState?
        public var networksAttachments: [NetworkAttachment]?

        enum CodingKeys: String, CodingKey {
            case id = "ID", version = "Version", createdAt = "CreatedAt", updatedAt = "UpdatedAt", name = "Name", labels = "Labels"
            case spec = "Spec", serviceID = "ServiceID", slot = "Slot", nodeID = "NodeID", assignedGenericResources = "AssignedGenericResources"
            case status = "Status", desiredState = "DesiredState", networksAttachments = "NetworksAttachments"
        }
    }
}
