import Workload

extension ParallelConfig {
    /// Applies `--parallel pp=16,ep=64,dp=128[,tp=1,zero=1]` to `setup`: every degree in
    /// `1...gpus` (the cluster's GPUs, so no product of degrees can overflow), `zero` in 0...3.
    /// The error names the flag, the item and the bound.
    public static func applyFlag(_ text: String, to setup: inout TrainingSetup, gpus: Int, flag: String = "--parallel") throws(SimulationError) {
        let gpus = max(1, gpus)
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            let parts = item.split(separator: "=", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2 else {
                throw SimulationError("\(flag): expected key=value items like pp=16,ep=64,dp=128, found '\(item)'")
            }
            let key = parts[0]
            guard ["tp", "pp", "ep", "dp", "zero"].contains(key) else {
                throw SimulationError("\(flag): expected a degree among tp, pp, ep, dp, zero, found '\(key)'")
            }
            let range = key == "zero" ? 0...3 : 1...gpus
            guard let value = Int(parts[1]), range.contains(value) else {
                throw SimulationError("\(flag): expected " + (key == "zero" ? "zero in 0...3" : "\(key) in 1...\(gpus) (the cluster's GPUs)")
                                      + ", found '\(item)'")
            }
            switch key {
            case "tp": setup.tp = value
            case "pp": setup.pp = value
            case "ep": setup.ep = value
            case "dp": setup.dp = value
            default: setup.zeroStage = value
            }
        }
    }
}
