import Foundation

extension Grafana {
    /// What `provision` did (or, in a dry run, would do), item by item.
    public struct ProvisionReport: Sendable, Codable, Equatable {
        public enum Kind: String, Sendable, Codable, CaseIterable {
            case datasource, folder, dashboard
            case alertRule = "alert-rule"
            case ruleGroup = "rule-group"
        }

        public enum Action: String, Sendable, Codable, CaseIterable {
            case created, updated, unchanged, removed, failed
        }

        public struct Item: Sendable, Codable, Equatable {
            public var kind: Kind
            public var uid: String
            public var title: String
            public var action: Action
            /// Why (repairs, which fields changed) or, for `failed`, what to do.
            public var detail: String?

            public init(kind: Kind, uid: String, title: String, action: Action, detail: String? = nil) {
                self.kind = kind
                self.uid = uid
                self.title = title
                self.action = action
                self.detail = detail
            }
        }

        public var grafanaURL: String
        /// True when Grafana's `/api/health` says it is grafana-standin, not Grafana.
        public var standIn: Bool
        public var dryRun: Bool
        public var items: [Item]

        public init(grafanaURL: String, standIn: Bool, dryRun: Bool, items: [Item] = []) {
            self.grafanaURL = grafanaURL
            self.standIn = standIn
            self.dryRun = dryRun
            self.items = items
        }

        public var failures: [Item] { items.filter { $0.action == .failed } }
        public var succeeded: Bool { failures.isEmpty }

        /// Items that changed (or would change) Grafana.
        public var changes: [Item] { items.filter { $0.action != .unchanged && $0.action != .failed } }

        public func count(_ action: Action) -> Int { items.filter { $0.action == action }.count }
        public func items(_ kind: Kind) -> [Item] { items.filter { $0.kind == kind } }
        public func item(_ kind: Kind, uid: String) -> Item? { items.first { $0.kind == kind && $0.uid == uid } }
    }
}
