/// The metric types of the Prometheus text exposition format 0.0.4.
public enum MetricType: String, Sendable, Hashable, CaseIterable {
    case counter, gauge, histogram, summary, untyped
}

/// One label pair of a sample, in the order the exposition gave them.
public struct Label: Sendable, Hashable, CustomStringConvertible {
    public var name: String
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }

    public var description: String { "\(name)=\"\(value)\"" }
}

/// One sample line, e.g. `http_requests_total{method="GET",status="200"} 12 1700000000000`.
public struct Sample: Sendable, Hashable {
    /// The sample's own name; for histograms and summaries this carries the `_bucket`/`_sum`/`_count` suffix.
    public var name: String
    public var labels: [Label]
    public var value: Double
    /// Milliseconds since the epoch, when the line carried one.
    public var timestampMilliseconds: Int64?
    /// 1-based line number in the parsed text.
    public var line: Int

    public init(name: String, labels: [Label], value: Double, timestampMilliseconds: Int64? = nil, line: Int) {
        self.name = name
        self.labels = labels
        self.value = value
        self.timestampMilliseconds = timestampMilliseconds
        self.line = line
    }

    /// The value of label `name`, if present.
    public func label(_ name: String) -> String? {
        labels.first { $0.name == name }?.value
    }

    /// Labels as a dictionary (later duplicates are rejected by the parser, so this is lossless).
    public var labelDictionary: [String: String] {
        Dictionary(labels.map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first })
    }

    // Hashable/Equatable treat NaN values as equal to each other, so parsed NaN samples compare.
    public static func == (lhs: Sample, rhs: Sample) -> Bool {
        lhs.name == rhs.name && lhs.labels == rhs.labels
            && (lhs.value == rhs.value || (lhs.value.isNaN && rhs.value.isNaN))
            && lhs.timestampMilliseconds == rhs.timestampMilliseconds && lhs.line == rhs.line
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(name)
        hasher.combine(labels)
        hasher.combine(value.isNaN ? Double.nan.bitPattern : value.bitPattern)
        hasher.combine(timestampMilliseconds)
        hasher.combine(line)
    }
}

/// All samples of one metric, with its `# HELP` and `# TYPE`.
///
/// Histogram families hold their `_bucket`, `_sum` and `_count` samples; summary families hold
/// the quantile samples (under the family name) plus `_sum` and `_count`.
public struct MetricFamily: Sendable, Hashable {
    public var name: String
    public var type: MetricType
    public var help: String?
    public var samples: [Sample]
    /// Line of the first `# HELP`, `# TYPE` or sample of this family.
    public var line: Int

    public init(name: String, type: MetricType, help: String? = nil, samples: [Sample] = [], line: Int) {
        self.name = name
        self.type = type
        self.help = help
        self.samples = samples
        self.line = line
    }
}

/// A histogram series (one label set apart from `le`) rebuilt from a histogram family.
public struct HistogramSeries: Sendable, Hashable {
    public struct Bucket: Sendable, Hashable {
        /// Upper bound (`le`), `+Inf` for the last bucket.
        public var upperBound: Double
        /// Cumulative count of observations `<= upperBound`.
        public var cumulativeCount: Double
    }

    /// Labels other than `le`.
    public var labels: [Label]
    /// Buckets sorted by upper bound.
    public var buckets: [Bucket]
    public var sum: Double?
    public var count: Double?

    /// The q-quantile (0...1) estimated the way PromQL's `histogram_quantile` does: linear
    /// interpolation inside the bucket holding the rank; the highest finite bound when the rank
    /// falls into the `+Inf` bucket. `nil` when the histogram is empty or has no `+Inf` bucket.
    public func quantile(_ q: Double) -> Double? {
        guard let last = buckets.last, last.upperBound == .infinity, last.cumulativeCount > 0 else { return nil }
        if q < 0 { return -.infinity }
        if q > 1 { return .infinity }
        let rank = q * last.cumulativeCount
        guard let index = buckets.firstIndex(where: { $0.cumulativeCount >= rank }) else { return nil }
        if index == buckets.count - 1 {
            return buckets.count >= 2 ? buckets[buckets.count - 2].upperBound : nil
        }
        let upper = buckets[index].upperBound
        var lower = 0.0
        var countBelow = 0.0
        if index > 0 {
            lower = buckets[index - 1].upperBound
            countBelow = buckets[index - 1].cumulativeCount
        } else if upper <= 0 {
            return upper
        }
        let inBucket = buckets[index].cumulativeCount - countBelow
        guard inBucket > 0 else { return upper }
        return lower + (upper - lower) * (rank - countBelow) / inBucket
    }
}

extension MetricFamily {
    /// The histogram series of a histogram family, grouped by their labels apart from `le`.
    /// Empty for other types.
    public var histogramSeries: [HistogramSeries] {
        guard type == .histogram else { return [] }
        var order: [[Label]] = []
        var byLabels: [[Label]: HistogramSeries] = [:]
        for sample in samples {
            let key = sample.labels.filter { $0.name != "le" }
            if byLabels[key] == nil {
                order.append(key)
                byLabels[key] = HistogramSeries(labels: key, buckets: [], sum: nil, count: nil)
            }
            if sample.name == name + "_bucket", let le = sample.label("le"), let bound = parseExpositionFloat(le) {
                byLabels[key]!.buckets.append(.init(upperBound: bound, cumulativeCount: sample.value))
            } else if sample.name == name + "_sum" {
                byLabels[key]!.sum = sample.value
            } else if sample.name == name + "_count" {
                byLabels[key]!.count = sample.value
            }
        }
        return order.map { key in
            var series = byLabels[key]!
            series.buckets.sort { $0.upperBound < $1.upperBound }
            return series
        }
    }
}

extension Array where Element == MetricFamily {
    /// The family called `name`, if present.
    public subscript(family name: String) -> MetricFamily? {
        first { $0.name == name }
    }
}

/// Parses a float as Prometheus does (Go's `strconv.ParseFloat`): decimal and exponent forms,
/// `NaN`, `+Inf`, `-Inf`, `Inf` (case-insensitive). Returns nil for anything else.
public func parseExpositionFloat(_ text: some StringProtocol) -> Double? {
    switch text.lowercased() {
    case "nan": return .nan
    case "+inf", "inf", "+infinity", "infinity": return .infinity
    case "-inf", "-infinity": return -.infinity
    default:
        // Double(String) also accepts hex floats and "nan(...)"; Go accepts hex too, and the odd
        // forms were handled above, so anything Double accepts here is a number Prometheus takes.
        guard !text.isEmpty, text.allSatisfy({ $0.isASCII && ($0.isHexDigit || "+-.xXpP_".contains($0)) }) else { return nil }
        if text.contains("_") { return nil }
        return Double(String(text))
    }
}
