import Orchestration

/// `up --dry-run`: the plans of every stack, as a table or JSON.
struct PlansPayload: OutputRenderable, Sendable {
    var plans: [Orchestration.Plan]

    func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(plans)
    }

    var table: OutputTable {
        var rows: [[String]] = []
        for plan in plans {
            for a in plan.actions {
                rows.append([plan.project, a.kind.rawValue, a.service ?? "-", a.target, a.reason])
            }
            for w in plan.warnings { rows.append([plan.project, "warning", "-", "-", w]) }
            for p in plan.problems { rows.append([plan.project, "problem", "-", "-", p]) }
        }
        return .rows(headers: ["project", "action", "service", "target", "reason"], rows: rows)
    }
}
