import Foundation
import HTTPTransport

extension PrometheusAPI {
    /// One `[timestamp, "value"]` pair as the query API encodes it.
    public struct SamplePoint: Sendable, Hashable, Decodable {
        /// Seconds since the epoch.
        public var timestamp: Double
        public var value: Double

        public init(timestamp: Double, value: Double) {
            self.timestamp = timestamp
            self.value = value
        }

        public init(from decoder: any Decoder) throws {
            var container = try decoder.unkeyedContainer()
            timestamp = try container.decode(Double.self)
            let text = try container.decode(String.self)
            guard let value = parseExpositionFloat(text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "sample value \"\(text)\" is not a number")
            }
            self.value = value
        }

        public static func == (lhs: SamplePoint, rhs: SamplePoint) -> Bool {
            lhs.timestamp == rhs.timestamp && (lhs.value == rhs.value || (lhs.value.isNaN && rhs.value.isNaN))
        }

        public func hash(into hasher: inout Hasher) {
            hasher.combine(timestamp)
            hasher.combine(value.isNaN ? Double.nan.bitPattern : value.bitPattern)
        }
    }

    /// One series of an instant vector.
    public struct VectorSample: Sendable, Hashable, Decodable {
        public var metric: [String: String]
        public var point: SamplePoint

        enum CodingKeys: String, CodingKey { case metric, value }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            metric = try container.decodeIfPresent([String: String].self, forKey: .metric) ?? [:]
            point = try container.decode(SamplePoint.self, forKey: .value)
        }

        public var value: Double { point.value }
    }

    /// One series of a range vector.
    public struct RangeSeries: Sendable, Hashable, Decodable {
        public var metric: [String: String]
        public var values: [SamplePoint]

        enum CodingKeys: String, CodingKey { case metric, values }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            metric = try container.decodeIfPresent([String: String].self, forKey: .metric) ?? [:]
            values = try container.decodeIfPresent([SamplePoint].self, forKey: .values) ?? []
        }
    }

    /// The typed result of a query.
    public enum QueryResult: Sendable, Hashable, Decodable {
        case vector([VectorSample])
        case matrix([RangeSeries])
        case scalar(SamplePoint)
        case string(timestamp: Double, value: String)

        enum CodingKeys: String, CodingKey { case resultType, result }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            let type = try container.decode(String.self, forKey: .resultType)
            switch type {
            case "vector": self = .vector(try container.decode([VectorSample].self, forKey: .result))
            case "matrix": self = .matrix(try container.decode([RangeSeries].self, forKey: .result))
            case "scalar": self = .scalar(try container.decode(SamplePoint.self, forKey: .result))
            case "string":
                var pair = try container.nestedUnkeyedContainer(forKey: .result)
                let timestamp = try pair.decode(Double.self)
                self = .string(timestamp: timestamp, value: try pair.decode(String.self))
            default:
                throw DecodingError.dataCorruptedError(forKey: .resultType, in: container, debugDescription: "unknown resultType \"\(type)\"")
            }
        }

        /// The samples of a vector result; empty for other types.
        public var vector: [VectorSample] {
            if case .vector(let samples) = self { return samples }
            return []
        }

        /// The series of a matrix result; empty for other types.
        public var matrix: [RangeSeries] {
            if case .matrix(let series) = self { return series }
            return []
        }

        /// The single number of a scalar result, or of a one-element vector.
        public var singleValue: Double? {
            switch self {
            case .scalar(let point): point.value
            case .vector(let samples) where samples.count == 1: samples[0].value
            default: nil
            }
        }
    }
}

extension PrometheusAPI.Client {
    /// Evaluates an instant query. Maps to `POST /api/v1/query` (form-encoded, so long
    /// expressions are fine). `time` defaults to the server's now.
    public func query(_ expression: String, at time: Date? = nil, timeout: Duration? = nil) async throws(PrometheusAPI.Error) -> PrometheusAPI.QueryResult {
        var form = [("query", expression)]
        if let time { form.append(("time", Self.format(time))) }
        if let timeout { form.append(("timeout", Self.format(timeout))) }
        return try await postForm("/api/v1/query", form: form, as: PrometheusAPI.QueryResult.self)
    }

    /// Evaluates a range query. Maps to `POST /api/v1/query_range`.
    public func queryRange(
        _ expression: String, start: Date, end: Date, step: Duration, timeout: Duration? = nil
    ) async throws(PrometheusAPI.Error) -> PrometheusAPI.QueryResult {
        var form = [("query", expression), ("start", Self.format(start)), ("end", Self.format(end)), ("step", Self.format(step))]
        if let timeout { form.append(("timeout", Self.format(timeout))) }
        return try await postForm("/api/v1/query_range", form: form, as: PrometheusAPI.QueryResult.self)
    }

    static func format(_ date: Date) -> String {
        String(format: "%.3f", date.timeIntervalSince1970)
    }

    static func format(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        // Prometheus takes durations as float seconds as well as "1m30s"; float seconds keep sub-second steps exact.
        let total = Double(seconds) + Double(attoseconds) / 1e18
        return String(format: "%.3f", total)
    }
}
