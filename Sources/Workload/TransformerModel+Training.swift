extension TransformerModel {
    /// Why the real training step cannot train this model, or nil when it can: it trains GQA or
    /// MHA attention, SwiGLU FFNs, untied embeddings and no multi-token prediction.
    public var trainingRefusal: String? {
        if attention.kind == .mla { return "MLA attention is not trained; use mha or gqa" }
        if !gatedFfn { return "only SwiGLU (gatedFfn = true) FFNs are trained" }
        if tiedEmbeddings { return "tied embeddings are not trained" }
        if mtpModules != 0 { return "multi-token prediction modules are not trained" }
        if attention.heads < 1 || attention.kvHeads < 1 || attention.headDim < 1 || attention.heads % attention.kvHeads != 0 {
            return "heads (\(attention.heads)) must be a multiple of kvHeads (\(attention.kvHeads))"
        }
        return nil
    }
}
