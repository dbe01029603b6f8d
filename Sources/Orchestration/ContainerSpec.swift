extension Orchestration {
    /// The body of `POST /containers/create`, in the Engine API's own field names.
    ///
    /// Orchestration owns this shape (rather than borrowing the client's) because it is the
    /// translation target of the compose model; optional fields are omitted when nil.
    public struct ContainerSpec: Sendable, Hashable, Codable {
        public var Image: String?
        public var Hostname: String?
        public var Domainname: String?
        public var User: String?
        public var Env: [String]?
        public var Cmd: [String]?
        public var Entrypoint: [String]?
        public var Labels: [String: String]?
        public var WorkingDir: String?
        public var ExposedPorts: [String: Empty]?
        public var Healthcheck: HealthConfig?
        public var StopSignal: String?
        public var StopTimeout: Int?
        public var Tty: Bool?
        public var OpenStdin: Bool?
        public var HostConfig: HostConfigSpec?
        public var NetworkingConfig: NetworkingConfigSpec?

        public init() {}

        /// Compose's convention, used for lookups: `labels` is the user's labels.
        public var labels: [String: String]? {
            get { Labels }
            set { Labels = newValue }
        }

        public struct Empty: Sendable, Hashable, Codable { public init() {} }

        public struct HealthConfig: Sendable, Hashable, Codable {
            /// `["CMD", ...]`, `["CMD-SHELL", "..."]` or `["NONE"]`.
            public var Test: [String]?
            /// Nanoseconds.
            public var Interval: Int64?
            public var Timeout: Int64?
            public var Retries: Int?
            public var StartPeriod: Int64?
            public var StartInterval: Int64?
            public init(Test: [String]? = nil, Interval: Int64? = nil, Timeout: Int64? = nil, Retries: Int? = nil, StartPeriod: Int64? = nil, StartInterval: Int64? = nil) {
                self.Test = Test
                self.Interval = Interval
                self.Timeout = Timeout
                self.Retries = Retries
                self.StartPeriod = StartPeriod
                self.StartInterval = StartInterval
            }
        }

        public struct PortBinding: Sendable, Hashable, Codable {
            public var HostIp: String?
            public var HostPort: String?
            public init(HostIp: String? = nil, HostPort: String? = nil) {
                self.HostIp = HostIp
                self.HostPort = HostPort
            }
        }

        public struct RestartPolicy: Sendable, Hashable, Codable {
            public var Name: String
            public var MaximumRetryCount: Int?
            public init(Name: String, MaximumRetryCount: Int? = nil) {
                self.Name = Name
                self.MaximumRetryCount = MaximumRetryCount
            }
        }

        public struct Mount: Sendable, Hashable, Codable {
            public var `Type`: String
            public var Source: String?
            public var Target: String
            public var ReadOnly: Bool?
            public init(Type: String, Source: String?, Target: String, ReadOnly: Bool? = nil) {
                self.Type = `Type`
                self.Source = Source
                self.Target = Target
                self.ReadOnly = ReadOnly
            }
        }

        public struct DeviceMapping: Sendable, Hashable, Codable {
            public var PathOnHost: String
            public var PathInContainer: String
            public var CgroupPermissions: String
            public init(PathOnHost: String, PathInContainer: String, CgroupPermissions: String = "rwm") {
                self.PathOnHost = PathOnHost
                self.PathInContainer = PathInContainer
                self.CgroupPermissions = CgroupPermissions
            }
        }

        public struct Ulimit: Sendable, Hashable, Codable {
            public var Name: String
            public var Soft: Int64
            public var Hard: Int64
            public init(Name: String, Soft: Int64, Hard: Int64) {
                self.Name = Name
                self.Soft = Soft
                self.Hard = Hard
            }
        }

        public struct HostConfigSpec: Sendable, Hashable, Codable {
            public var Binds: [String]?
            public var Mounts: [Mount]?
            public var PortBindings: [String: [PortBinding]]?
            public var RestartPolicy: RestartPolicy?
            public var NetworkMode: String?
            public var Privileged: Bool?
            public var CapAdd: [String]?
            public var CapDrop: [String]?
            public var Devices: [DeviceMapping]?
            public var ExtraHosts: [String]?
            public var Ulimits: [Ulimit]?
            public var Memory: Int64?
            public var MemoryReservation: Int64?
            public var NanoCpus: Int64?
            public var Tmpfs: [String: String]?
            public var Init: Bool?
            public var ReadonlyRootfs: Bool?
            public var SecurityOpt: [String]?
            public var PidMode: String?
            public var ShmSize: Int64?
            public var Dns: [String]?
            public var DnsSearch: [String]?
            public var Sysctls: [String: String]?
            public var IpcMode: String?
            public var PidsLimit: Int64?
            public var LogConfig: LogConfigSpec?
            public init() {}
        }

        public struct LogConfigSpec: Sendable, Hashable, Codable {
            public var `Type`: String
            public var Config: [String: String]?
            public init(Type: String, Config: [String: String]? = nil) {
                self.Type = `Type`
                self.Config = Config
            }
        }

        public struct EndpointSpec: Sendable, Hashable, Codable {
            public var Aliases: [String]?
            public init(Aliases: [String]? = nil) { self.Aliases = Aliases }
        }

        public struct NetworkingConfigSpec: Sendable, Hashable, Codable {
            public var EndpointsConfig: [String: EndpointSpec]
            public init(EndpointsConfig: [String: EndpointSpec] = [:]) { self.EndpointsConfig = EndpointsConfig }
        }
    }
}
