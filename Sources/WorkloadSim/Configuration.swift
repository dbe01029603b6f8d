import Foundation

/// Which MultimodalRAG service this process stands in for.
public enum WorkloadRole: String, Sendable, CaseIterable, Codable {
    /// The public API (port 5000): `POST /v1/query` forwards to the model API's `/v1/infer`.
    case api
    /// The model API (port 5001): `POST /v1/infer` simulates an inference and emits the model and GPU metrics.
    case modelAPI = "model-api"

    public var defaultPort: Int { self == .api ? 5000 : 5001 }
}

/// Injected faults. Every field is "off" at zero.
public struct Faults: Sendable, Hashable, Codable {
    /// Seconds added to every request the role serves (`/v1/query` or `/v1/infer`).
    public var latencySeconds: Double
    /// Fraction (0...1) of requests that fail with a 500 (and `model_errors_total{type="injected"}` on the model API).
    public var errorRatio: Double
    /// Megabytes allocated and touched per minute and held until this fault is set back to 0: a real
    /// leak that grows the process' RSS (and gives it all back when cleared).
    public var leakMBPerMinute: Double
    /// Fraction (0...1) of the simulated GPU's memory that is taken; 0 means the normal simulated load.
    public var gpuPressure: Double

    public init(latencySeconds: Double = 0, errorRatio: Double = 0, leakMBPerMinute: Double = 0, gpuPressure: Double = 0) {
        self.latencySeconds = latencySeconds
        self.errorRatio = errorRatio
        self.leakMBPerMinute = leakMBPerMinute
        self.gpuPressure = gpuPressure
    }

    public static let none = Faults()

    enum CodingKeys: String, CodingKey, CaseIterable {
        case latencySeconds = "latency_seconds"
        case errorRatio = "error_ratio"
        case leakMBPerMinute = "leak_mb_per_minute"
        case gpuPressure = "gpu_pressure"

        var environmentVariable: String {
            switch self {
            case .latencySeconds: "FAULT_LATENCY_SECONDS"
            case .errorRatio: "FAULT_ERROR_RATIO"
            case .leakMBPerMinute: "FAULT_LEAK_MB_PER_MINUTE"
            case .gpuPressure: "FAULT_GPU_PRESSURE"
            }
        }

        var range: ClosedRange<Double> {
            switch self {
            case .latencySeconds: 0...3600
            case .errorRatio, .gpuPressure: 0...1
            case .leakMBPerMinute: 0...65536
            }
        }
    }

    subscript(key: CodingKeys) -> Double {
        get {
            switch key {
            case .latencySeconds: latencySeconds
            case .errorRatio: errorRatio
            case .leakMBPerMinute: leakMBPerMinute
            case .gpuPressure: gpuPressure
            }
        }
        set {
            switch key {
            case .latencySeconds: latencySeconds = newValue
            case .errorRatio: errorRatio = newValue
            case .leakMBPerMinute: leakMBPerMinute = newValue
            case .gpuPressure: gpuPressure = newValue
            }
        }
    }

    /// Reads `FAULT_*` variables; unset or empty variables leave the field at zero.
    public static func fromEnvironment(_ environment: [String: String]) throws(ConfigurationError) -> Faults {
        var faults = Faults()
        for key in CodingKeys.allCases {
            guard let text = environment[key.environmentVariable]?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { continue }
            guard let value = Double(text), value.isFinite, key.range.contains(value) else {
                throw ConfigurationError(
                    source: key.environmentVariable, message: "\"\(text)\" is not a number in \(key.range.lowerBound)...\(key.range.upperBound)")
            }
            faults[key] = value
        }
        return faults
    }

    /// Applies the fields present in a JSON object (partial updates: absent fields keep their value).
    /// Unknown fields and out-of-range values are rejected, naming the field.
    public func applying(json data: Data) throws(ConfigurationError) -> Faults {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw ConfigurationError(source: "request body", message: "not JSON: \(error.localizedDescription)")
        }
        guard let fields = object as? [String: Any] else {
            throw ConfigurationError(source: "request body", message: "expected a JSON object such as {\"latency_seconds\": 6}")
        }
        // JSONSerialization cannot tell 1 from true on Linux; JSONDecoder can.
        let values = (try? JSONDecoder().decode([String: FaultValue].self, from: data)) ?? [:]
        var updated = self
        for name in fields.keys.sorted() {
            guard let key = CodingKeys(rawValue: name) else {
                let known = CodingKeys.allCases.map(\.rawValue).joined(separator: ", ")
                throw ConfigurationError(source: name, message: "unknown fault (known: \(known))")
            }
            guard case .number(let number) = values[name], key.range.contains(number) else {
                let shown = values[name].map { "\($0)" } ?? "value"
                throw ConfigurationError(source: name, message: "\(shown) is not a number in \(key.range.lowerBound)...\(key.range.upperBound)")
            }
            updated[key] = number
        }
        return updated
    }
}

/// One value of a faults JSON object.
enum FaultValue: Decodable, CustomStringConvertible {
    case number(Double)
    case other(String)

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let flag = try? container.decode(Bool.self) {
            self = .other("\(flag)")
        } else if let number = try? container.decode(Double.self) {
            self = .number(number)
        } else if let text = try? container.decode(String.self) {
            self = .other("\"\(text)\"")
        } else {
            self = .other("a non-number")
        }
    }

    var description: String {
        switch self {
        case .number(let number): "\(number)"
        case .other(let text): text
        }
    }
}

/// A configuration value that cannot be used, naming where it came from (flag, variable or JSON field).
public struct ConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    public var source: String
    public var message: String

    public init(source: String, message: String) {
        self.source = source
        self.message = message
    }

    public var description: String { "\(source): \(message)" }
}

/// Everything a workload-sim process needs to run.
public struct WorkloadConfiguration: Sendable, Hashable {
    public var role: WorkloadRole
    /// Where to listen: 127.0.0.1 by default (`ListenHost.default`); the stacks set 0.0.0.0 explicitly.
    public var host: String
    /// 0 binds a free port (tests).
    public var port: Int
    /// Base URL of the model API, used by the api role.
    public var modelAPIURL: String
    /// Requests per second the built-in load generator sends to this process; 0 turns it off.
    public var loadRate: Double
    public var faults: Faults
    /// Total memory of the simulated GPU (there is no GPU: see README).
    public var simulatedGPUTotalMB: Double
    /// The bearer token `/admin/*` requires; `nil` turns fault injection over HTTP off (every
    /// `/admin/*` request is refused). Never logged.
    public var adminToken: AdminToken?

    public init(
        role: WorkloadRole,
        host: String = ListenHost.loopback,
        port: Int? = nil,
        modelAPIURL: String = "http://model-api:5001",
        loadRate: Double = 2,
        faults: Faults = .none,
        simulatedGPUTotalMB: Double = 24_576,
        adminToken: AdminToken? = nil
    ) {
        self.role = role
        self.host = host
        self.port = port ?? role.defaultPort
        self.modelAPIURL = modelAPIURL
        self.loadRate = loadRate
        self.faults = faults
        self.simulatedGPUTotalMB = simulatedGPUTotalMB
        self.adminToken = adminToken
    }
}

/// The default listen address: loopback, so that a process started by hand is not reachable from
/// other machines; inside a container, where loopback is the container's own and the operator
/// chooses what to publish, every address. The stacks set `LISTEN_HOST: 0.0.0.0` explicitly anyway.
public enum ListenHost {
    public static let loopback = "127.0.0.1"
    public static let any = "0.0.0.0"

    public static func `default`(inContainer: Bool) -> String {
        inContainer ? any : loopback
    }

    /// Whether this process runs in a Docker (`/.dockerenv`) or Podman (`/run/.containerenv`) container.
    public static var runsInContainer: Bool {
        ["/.dockerenv", "/run/.containerenv"].contains { FileManager.default.fileExists(atPath: $0) }
    }
}

/// The secret `/admin/*` requires as `Authorization: Bearer <token>`. Its description never shows it.
public struct AdminToken: Sendable, Hashable, CustomStringConvertible {
    let bytes: [UInt8]

    public static let minimumLength = 16
    public static let maximumLength = 1024
    /// Where the token comes from (`WORKLOAD_ADMIN_TOKEN_FILE` names a file that holds it).
    public static let variable = "WORKLOAD_ADMIN_TOKEN"

    /// Checks the token's shape; the error names `source`, never the value.
    public init(_ text: String, source: String = AdminToken.variable) throws(ConfigurationError) {
        let bytes = Array(text.utf8)
        guard (Self.minimumLength...Self.maximumLength).contains(bytes.count) else {
            throw ConfigurationError(
                source: source, message: "the admin token must be \(Self.minimumLength) to \(Self.maximumLength) characters (it has \(bytes.count))")
        }
        // Printable ASCII without spaces: it travels in an HTTP header.
        guard bytes.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            throw ConfigurationError(source: source, message: "the admin token must be printable ASCII without spaces")
        }
        self.bytes = bytes
    }

    /// `WORKLOAD_ADMIN_TOKEN`, else the contents of the file `WORKLOAD_ADMIN_TOKEN_FILE` names
    /// (one trailing newline dropped); `nil` when neither is set.
    public static func fromEnvironment(_ environment: [String: String]) throws(ConfigurationError) -> AdminToken? {
        if let text = environment[variable], !text.isEmpty {
            return try AdminToken(text)
        }
        let fileVariable = variable + "_FILE"
        guard let path = environment[fileVariable], !path.isEmpty else { return nil }
        guard let data = FileManager.default.contents(atPath: path), var text = String(data: data, encoding: .utf8) else {
            throw ConfigurationError(source: fileVariable, message: "cannot read \(path)")
        }
        if text.hasSuffix("\n") { text.removeLast() }
        return try AdminToken(text, source: fileVariable)
    }

    /// Whether an `Authorization` header value carries this token. Compares in time that depends
    /// on the length of what was sent only, not on how much of it matches.
    public func authorizes(_ header: String?) -> Bool {
        guard let header, header.hasPrefix("Bearer ") else { return false }
        return Self.constantTimeEquals(Array(header.utf8.dropFirst(7)), bytes)
    }

    static func constantTimeEquals(_ given: [UInt8], _ expected: [UInt8]) -> Bool {
        guard !expected.isEmpty else { return false }
        var difference = UInt8(given.count == expected.count ? 0 : 1)
        for (index, byte) in given.enumerated() {
            difference |= byte ^ expected[index % expected.count]
        }
        return difference == 0
    }

    public var description: String { "admin token (\(bytes.count) characters, not shown)" }
}
