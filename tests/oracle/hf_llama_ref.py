"""hf_llama_ref.py - a numpy forward pass of a Hugging Face Llama/Qwen2 checkpoint, in HF's conventions.

Works on the state dict itself (Hugging Face tensor names, q_proj/k_proj rows in HF's
order), not on a GGUF file, so that comparing it with an engine that reads llama.cpp's
conversion of the same checkpoint checks the converter's Q/K row permutation against the
engine's RoPE. Written from the transformers model description, in float64:
  x = embed_tokens[tok]
  per layer: n = rmsnorm(x) * input_layernorm
             q, k, v = q_proj(n), k_proj(n), v_proj(n)        (+ biases, Qwen2)
             q, k = q*cos + rotate_half(q)*sin, same for k      rotate_half(u) = [-u2, u1]
               with cos/sin of p * inv_freq[i] repeated over both halves, inv_freq[i] =
               theta^(-2i/head_dim), changed by the config's rope_scaling as transformers'
               rope init does: "linear" divides by factor, "llama3" divides the low
               frequencies by factor and blends the middle band (see inv_freq())
             x = x + o_proj(softmax(q k^T / sqrt(head_dim) + causal mask) v)
               (query head h reads KV head h // (n_head / n_kv): repeat_kv)
             m = rmsnorm(x) * post_attention_layernorm
             x = x + down_proj(silu(gate_proj(m)) * up_proj(m))
  logits = lm_head(rmsnorm(x) * norm)                  rmsnorm(u) = u / sqrt(mean(u^2) + eps)
  (lm_head = embed_tokens when the checkpoint ties them and has no lm_head)
"""
import numpy as np


def rmsnorm(x, w, eps):
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * w


def rotate_half(u):
    h = u.shape[-1] // 2
    return np.concatenate([-u[..., h:], u[..., :h]], axis=-1)


class Model:
    def __init__(self, cfg, sd):
        """cfg: config.json as a dict; sd: HF name -> float64 array."""
        self.cfg, self.sd = cfg, sd
        self.n_head, self.n_kv = cfg["num_attention_heads"], cfg["num_key_value_heads"]
        self.hd = cfg.get("head_dim") or cfg["hidden_size"] // self.n_head
        self.eps, self.theta = cfg["rms_norm_eps"], cfg.get("rope_theta", 10000.0)

    def _lin(self, name, x):
        y = x @ self.sd[name + ".weight"].T
        b = self.sd.get(name + ".bias")
        return y if b is None else y + b

    def inv_freq(self):
        inv = self.theta ** (-np.arange(0, self.hd, 2, dtype=np.float64) / self.hd)
        rs = self.cfg.get("rope_scaling") or {}
        kind = rs.get("rope_type", rs.get("type", "default"))
        if kind == "linear":
            return inv / rs["factor"]
        if kind == "llama3":
            factor, lo, hi = rs["factor"], rs["low_freq_factor"], rs["high_freq_factor"]
            old = rs["original_max_position_embeddings"]
            wavelen = 2 * np.pi / inv
            out = np.where(wavelen > old / lo, inv / factor, inv)           # low frequencies: slower
            smooth = (old / wavelen - lo) / (hi - lo)
            medium = (wavelen >= old / hi) & (wavelen <= old / lo)
            return np.where(medium, (1 - smooth) * out / factor + smooth * out, out)
        if kind != "default":
            raise ValueError("rope_scaling %s not in this reference" % kind)
        return inv

    def _rope(self, u, pos):
        ang = np.outer(pos, self.inv_freq())
        emb = np.concatenate([ang, ang], axis=-1)[:, None, :]  # (T, 1, hd)
        return u * np.cos(emb) + rotate_half(u) * np.sin(emb)

    def logits(self, tokens):
        """Logits of every position (T x vocab) for the token ids, from position 0."""
        sd, T = self.sd, len(tokens)
        pos = np.arange(T, dtype=np.float64)
        x = sd["model.embed_tokens.weight"][np.asarray(tokens)]
        mask = np.triu(np.full((T, T), -np.inf), 1)
        for i in range(self.cfg["num_hidden_layers"]):
            p = "model.layers.%d." % i
            n = rmsnorm(x, sd[p + "input_layernorm.weight"], self.eps)
            q = self._rope(self._lin(p + "self_attn.q_proj", n).reshape(T, self.n_head, self.hd), pos)
            k = self._rope(self._lin(p + "self_attn.k_proj", n).reshape(T, self.n_kv, self.hd), pos)
            v = self._lin(p + "self_attn.v_proj", n).reshape(T, self.n_kv, self.hd)
            rep = self.n_head // self.n_kv
            k, v = np.repeat(k, rep, axis=1), np.repeat(v, rep, axis=1)  # repeat_kv
            s = np.einsum("thd,shd->hts", q, k) / np.sqrt(self.hd) + mask
            s = np.exp(s - s.max(axis=-1, keepdims=True))
            s /= s.sum(axis=-1, keepdims=True)
            o = np.einsum("hts,shd->thd", s, v).reshape(T, -1)
            x = x + self._lin(p + "self_attn.o_proj", o)
            m = rmsnorm(x, sd[p + "post_attention_layernorm.weight"], self.eps)
            g = self._lin(p + "mlp.gate_proj", m)
            x = x + self._lin(p + "mlp.down_proj", g / (1 + np.exp(-g)) * self._lin(p + "mlp.up_proj", m))
        x = rmsnorm(x, sd["model.norm.weight"], self.eps)
        return x @ sd.get("lm_head.weight", sd["model.embed_tokens.weight"]).T

    def greedy(self, prompt, n):
        """n argmax continuation ids after prompt (recomputed from scratch each step)."""
        toks = list(prompt)
        for _ in range(n):
            toks.append(int(np.argmax(self.logits(toks)[-1])))
        return toks[len(prompt):]
