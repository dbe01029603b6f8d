import Foundation

extension DockerEngine {
    public struct IPAM: Codable, Sendable, Hashable {
        public struct Config: Codable, Sendable, Hashable {
            public var subnet: String?
            public var ipRange: String?
            public var gateway: String?
            public init(subnet: String? = nil, ipRange: String? = nil, gateway: String? = nil) {
                self.subnet = subnet
                self.ipRange = ipRange
                self.gateway = gateway
            }
            enum CodingKeys: String, CodingKey { case subnet = "Subnet", ipRange = "IPRange", gateway = "Gateway" }
        }
        public var driver: String?
        public var config: [Config]?
        public var options: [String: String]?
        public init(driver: String? = nil, config: [Config]? = nil, options: [String: String]? = nil) {
            self.driver = driver
            self.config = config
            self.options = options
        }
        enum CodingKeys: String, CodingKey { case driver = "Driver", config = "Config", options = "Options" }
    }

    /// `GET /networks`, `GET /networks/{id}`.
    public struct Network: Codable, Sendable, Hashable {
        public struct Container: Codable, Sendable, Hashable {
            public var name: String?
            public var endpointID: String?
            public var macAddress: String?
            public var ipv4Address: String?
            public var ipv6Address: String?
            enum CodingKeys: String, CodingKey {
                case name = "Name", endpointID = "EndpointID", macAddress = "MacAddress"
                case ipv4Address = "IPv4Address", ipv6Address = "IPv6Address"
            }
        }

        public var id: String
        public var name: String
        public var created: String?
        public var scope: String?
        public var driver: String?
        public var enableIPv6: Bool?
        public var ipam: IPAM?
        public var `internal`: Bool?
        public var attachable: Bool?
        public var ingress: Bool?
        /// Container ID -> endpoint (filled by inspect).
        public var containers: [String: Container]?
        public var options: [String: String]?
        public var labels: [String: String]?

        enum CodingKeys: String, CodingKey {
            case id = "Id", name = "Name", created = "Created", scope = "Scope", driver = "Driver"
            case enableIPv6 = "EnableIPv6", ipam = "IPAM", `internal` = "Internal", attachable = "Attachable"
            case ingress = "Ingress", containers = "Containers", options = "Options", labels = "Labels"
        }
    }

    /// Body of `POST /networks/create`.
    public struct NetworkCreateRequest: Codable, Sendable, Hashable {
        public var name: String
        /// Refuse to create a network when one of that name exists (API < 1.44; later engines always check).
        public var checkDuplicate: Bool?
        public var driver: String?
        public var `internal`: Bool?
        public var attachable: Bool?
        public var enableIPv6: Bool?
        public var ipam: IPAM?
        public var options: [String: String]?
        public var labels: [String: String]?

        public init(
            name: String, driver: String? = "bridge", internal: Bool? = nil, attachable: Bool? = nil, enableIPv6: Bool? = nil, ipam: IPAM? = nil,
            options: [String: String]? = nil, labels: [String: String]? = nil
        ) {
            self.name = name
            self.checkDuplicate = true
            self.driver = driver
            self.internal = `internal`
            self.attachable = attachable
            self.enableIPv6 = enableIPv6
            self.ipam = ipam
            self.options = options
            self.labels = labels
        }

        enum CodingKeys: String, CodingKey {
            case name = "Name", checkDuplicate = "CheckDuplicate", driver = "Driver", `internal` = "Internal"
            case attachable = "Attachable", enableIPv6 = "EnableIPv6", ipam = "IPAM", options = "Options", labels = "Labels"
        }
    }

    public struct NetworkCreateResponse: Codable, Sendable, Hashable {
        public var id: String
        public var warning: String?
        enum CodingKeys: String, CodingKey { case id = "Id", warning = "Warning" }
    }
}

extension DockerEngine.Network {
    public init(id: String, name: String, driver: String? = nil, labels: [String: String]? = nil) {
        self.id = id
        self.name = name
        self.driver = driver
        self.labels = labels
    }
}
