#!/usr/bin/env python3
"""Generates the tiny Transformers.js test models of @ragbridge/adapter-transformersjs.

Writes, under packages/adapter-transformersjs/test-models/ragbridge-test/, three model folders in
the layout Transformers.js 4.x loads (config.json, tokenizer.json, tokenizer_config.json,
onnx/model{suffix}.onnx, generation_config.json for the decoder):

- tiny-bert-embedder: a one-layer, one-head BERT-like encoder (word + position + token-type
  embeddings, masked self-attention) whose output is `last_hidden_state` [batch, seq, 32]. Mean
  pooling over it gives bag-of-words-like vectors; padding cannot change a sequence's vectors
  because padded keys are masked out. Also written as `onnx/model_quantized.onnx` (uint8 weights
  with DequantizeLinear), the file Transformers.js picks for `dtype: 'q8'`; the other two models
  are fp32 only (`onnx/model.onnx`), to keep the fixtures small.
- tiny-bert-cross-encoder: a BertForSequenceClassification-like graph with output `logits`
  [batch, 1]: the cosine of the mean word vector of segment A (token_type 0, the query) and of
  segment B (token_type 1, the passage), scaled and shifted. Passages that share words with the
  query score higher; the score depends only on the pair, never on the rest of the batch.
- tiny-llama-chat: a LlamaForCausalLM-like decoder (one layer, one head, head_dim 8) with a real
  KV cache (`past_key_values.0.key/value` in, `present.0.key/value` out), causal and padding
  masks and position_ids; a byte-level BPE tokenizer (GPT2Tokenizer, like SmolLM2) with a ChatML
  chat template. Its LM head encodes a fixed chain, so greedy decoding after the generation
  prompt says "Hello from a tiny test model." and then emits <|im_end|> (EOS).

Weights come from a fixed seed, so running the script again writes identical files.
Needs the `onnx` and `numpy` Python packages (Debian: apt-get install python3-onnx python3-numpy;
run with /usr/bin/python3). Usage: /usr/bin/python3 tools/generate-tiny-models.py
"""

import json
import os
import shutil

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'packages', 'adapter-transformersjs', 'test-models')
ORG = 'ragbridge-test'
OPSET = 17
MAX_POSITIONS = 128

# --------------------------------------------------------------------------------------------
# WordPiece tokenizer (BERT uncased) shared by the encoder and the cross-encoder
# --------------------------------------------------------------------------------------------

SPECIAL = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']
WORDS_TEXT = """
the a an and or of to in on for with by from as at is are was were be been it its this that these
those which what how many much does do did has have had can may must not no yes all any each one two
three four five six seven eight nine ten zero first second last more most less than into over under
about between per only also when where who why if then else so but there their they we you he she
base integer isa instruction instructions set sets register registers general purpose x0 x31 rv32i
rv64i riscv risc v machine mode status mstatus mie interrupt interrupts enable enables software
validation quality system systems vector vectors length multiplier lmul group groups grouped element
elements sew bits bit wide width funct3 funct7 opcode opcodes operation operations select selects
within hardwired fda guidance describes activities item number answer question source sources cite
numbered model models text texts document documents page pages query passage search embedding rerank
memory load store branch jump immediate address addresses privileged user supervisor hypervisor
exception trap csr csrs field fields extension extensions standard specification manual reference
floating point compressed atomic multiply divide hold holds define defines spec version test tests
hello world data file files code program programs process processes design device devices medical
requirements risk analysis report technical paper papers study results method methods table figure
vectorization performance compiler library kernel cache caches pipeline latency throughput
"""
WORDS = sorted(set(WORDS_TEXT.split()))
CHARS = list('abcdefghijklmnopqrstuvwxyz0123456789')
PUNCT = list('!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~')
WORDPIECE_VOCAB = SPECIAL + CHARS + PUNCT + ['##' + c for c in CHARS] + [w for w in WORDS if w not in CHARS]


def wordpiece_tokenizer_json():
    vocab = {tok: i for i, tok in enumerate(WORDPIECE_VOCAB)}
    special = {tok: {'id': tok, 'ids': [vocab[tok]], 'tokens': [tok]} for tok in ['[CLS]', '[SEP]']}
    return {
        'version': '1.0',
        'truncation': None,
        'padding': None,
        'added_tokens': [
            {'id': vocab[t], 'content': t, 'single_word': False, 'lstrip': False, 'rstrip': False, 'normalized': False, 'special': True}
            for t in SPECIAL
        ],
        'normalizer': {'type': 'BertNormalizer', 'clean_text': True, 'handle_chinese_chars': True, 'strip_accents': None, 'lowercase': True},
        'pre_tokenizer': {'type': 'BertPreTokenizer'},
        'post_processor': {
            'type': 'TemplateProcessing',
            'single': [{'SpecialToken': {'id': '[CLS]', 'type_id': 0}}, {'Sequence': {'id': 'A', 'type_id': 0}}, {'SpecialToken': {'id': '[SEP]', 'type_id': 0}}],
            'pair': [
                {'SpecialToken': {'id': '[CLS]', 'type_id': 0}},
                {'Sequence': {'id': 'A', 'type_id': 0}},
                {'SpecialToken': {'id': '[SEP]', 'type_id': 0}},
                {'Sequence': {'id': 'B', 'type_id': 1}},
                {'SpecialToken': {'id': '[SEP]', 'type_id': 1}},
            ],
            'special_tokens': special,
        },
        'decoder': {'type': 'WordPiece', 'prefix': '##', 'cleanup': True},
        'model': {'type': 'WordPiece', 'unk_token': '[UNK]', 'continuing_subword_prefix': '##', 'max_input_chars_per_word': 100, 'vocab': vocab},
    }


def wordpiece_tokenizer_config():
    return {
        'tokenizer_class': 'BertTokenizer',
        'do_lower_case': True,
        'model_max_length': MAX_POSITIONS,
        'cls_token': '[CLS]',
        'sep_token': '[SEP]',
        'pad_token': '[PAD]',
        'unk_token': '[UNK]',
        'mask_token': '[MASK]',
        'clean_up_tokenization_spaces': True,
    }


# --------------------------------------------------------------------------------------------
# ONNX helpers
# --------------------------------------------------------------------------------------------


def const(name, value, dtype=np.float32):
    return numpy_helper.from_array(np.asarray(value, dtype=dtype), name)


def node(op, inputs, outputs, **attrs):
    return helper.make_node(op, inputs, outputs, **attrs)


def save_model(graph, path, producer='ragbridge tools/generate-tiny-models.py'):
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', OPSET)], producer_name=producer)
    model.ir_version = 8
    onnx.checker.check_model(model)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    onnx.save(model, path)


def quantize_initializers(graph, min_size=64):
    """Returns a copy of `graph` whose large float initializers are stored as uint8 and
    dequantized at run time (per-tensor affine), like a q8 export."""
    q = onnx.GraphProto()
    q.CopyFrom(graph)
    kept, extra_nodes = [], []
    for init in q.initializer:
        arr = numpy_helper.to_array(init)
        if arr.dtype != np.float32 or arr.size < min_size:
            kept.append(init)
            continue
        lo, hi = float(min(arr.min(), 0.0)), float(max(arr.max(), 0.0))
        scale = (hi - lo) / 255.0 or 1.0
        zero = int(round(-lo / scale))
        data = np.clip(np.round(arr / scale) + zero, 0, 255).astype(np.uint8)
        kept += [
            numpy_helper.from_array(data, init.name + '_quantized'),
            const(init.name + '_scale', scale),
            numpy_helper.from_array(np.asarray(zero, dtype=np.uint8), init.name + '_zero_point'),
        ]
        extra_nodes.append(node('DequantizeLinear', [init.name + '_quantized', init.name + '_scale', init.name + '_zero_point'], [init.name]))
    del q.initializer[:]
    q.initializer.extend(kept)
    nodes = list(q.node)
    del q.node[:]
    q.node.extend(extra_nodes + nodes)
    return q


def write_json(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w', encoding='utf-8') as f:
        json.dump(data, f, ensure_ascii=False, indent=1, sort_keys=False)
        f.write('\n')


def seq_inputs(names):
    return [helper.make_tensor_value_info(n, TensorProto.INT64, ['batch_size', 'sequence_length']) for n in names]


# --------------------------------------------------------------------------------------------
# Encoder (feature extraction)
# --------------------------------------------------------------------------------------------


def encoder_graph(rng, hidden=32):
    vocab = len(WORDPIECE_VOCAB)
    word = rng.normal(0, 1, (vocab, hidden)).astype(np.float32)
    word[0] = 0  # [PAD]
    pos = rng.normal(0, 0.05, (MAX_POSITIONS, hidden)).astype(np.float32)
    types = rng.normal(0, 0.05, (2, hidden)).astype(np.float32)
    wq, wk, wv = (rng.normal(0, 1 / np.sqrt(hidden), (hidden, hidden)).astype(np.float32) for _ in range(3))
    wo = rng.normal(0, 0.3 / np.sqrt(hidden), (hidden, hidden)).astype(np.float32)
    inits = [
        const('embeddings.word', word), const('embeddings.position', pos), const('embeddings.token_type', types),
        const('attention.query', wq), const('attention.key', wk), const('attention.value', wv), const('attention.output', wo),
        const('scale', 1 / np.sqrt(hidden)), const('one', 1.0), const('mask_value', -10000.0),
        const('i0', 0, np.int64), const('i1', 1, np.int64), const('axis1', [1], np.int64),
    ]
    nodes = [
        node('Gather', ['embeddings.word', 'input_ids'], ['word_vectors']),
        node('Gather', ['embeddings.token_type', 'token_type_ids'], ['type_vectors']),
        node('Shape', ['input_ids'], ['ids_shape']),
        node('Gather', ['ids_shape', 'i1'], ['seq_len']),
        node('Range', ['i0', 'seq_len', 'i1'], ['positions']),
        node('Gather', ['embeddings.position', 'positions'], ['position_vectors']),
        node('Add', ['word_vectors', 'type_vectors'], ['x0']),
        node('Add', ['x0', 'position_vectors'], ['x']),
        node('MatMul', ['x', 'attention.query'], ['q']),
        node('MatMul', ['x', 'attention.key'], ['k']),
        node('MatMul', ['x', 'attention.value'], ['v']),
        node('Transpose', ['k'], ['k_t'], perm=[0, 2, 1]),
        node('MatMul', ['q', 'k_t'], ['scores_raw']),
        node('Mul', ['scores_raw', 'scale'], ['scores_scaled']),
        node('Cast', ['attention_mask'], ['mask_f'], to=TensorProto.FLOAT),
        node('Unsqueeze', ['mask_f', 'axis1'], ['mask_b']),  # [b, 1, s]
        node('Sub', ['one', 'mask_b'], ['mask_inv']),
        node('Mul', ['mask_inv', 'mask_value'], ['mask_bias']),
        node('Add', ['scores_scaled', 'mask_bias'], ['scores']),
        node('Softmax', ['scores'], ['probs'], axis=-1),
        node('MatMul', ['probs', 'v'], ['context']),
        node('MatMul', ['context', 'attention.output'], ['attended']),
        node('Add', ['x', 'attended'], ['last_hidden_state']),
    ]
    graph = helper.make_graph(
        nodes, 'tiny_bert_encoder', seq_inputs(['input_ids', 'attention_mask', 'token_type_ids']),
        [helper.make_tensor_value_info('last_hidden_state', TensorProto.FLOAT, ['batch_size', 'sequence_length', hidden])],
        inits,
    )
    return graph, hidden


def bert_config(hidden, architectures, extra=None):
    config = {
        'architectures': architectures,
        'model_type': 'bert',
        'hidden_size': hidden,
        'intermediate_size': hidden,
        'num_attention_heads': 1,
        'num_hidden_layers': 1,
        'max_position_embeddings': MAX_POSITIONS,
        'type_vocab_size': 2,
        'vocab_size': len(WORDPIECE_VOCAB),
        'pad_token_id': 0,
        'hidden_act': 'gelu',
        'layer_norm_eps': 1e-12,
    }
    config.update(extra or {})
    return config


# --------------------------------------------------------------------------------------------
# Cross-encoder (sequence classification, one logit)
# --------------------------------------------------------------------------------------------


def cross_encoder_graph(rng, hidden=32):
    vocab = len(WORDPIECE_VOCAB)
    word = rng.normal(0, 1, (vocab, hidden)).astype(np.float32)
    for tok in ['[PAD]', '[CLS]', '[SEP]', '[MASK]']:
        word[WORDPIECE_VOCAB.index(tok)] = 0  # special tokens take no part in the overlap
    pos = rng.normal(0, 0.01, (MAX_POSITIONS, hidden)).astype(np.float32)
    inits = [
        const('embeddings.word', word), const('embeddings.position', pos),
        const('one', 1.0), const('eps', 1e-6), const('classifier.weight', 10.0), const('classifier.bias', -4.0),
        const('i0', 0, np.int64), const('i1', 1, np.int64), const('axis1', [1], np.int64), const('axis_last', [-1], np.int64),
    ]
    nodes = [
        node('Gather', ['embeddings.word', 'input_ids'], ['word_vectors']),
        node('Shape', ['input_ids'], ['ids_shape']),
        node('Gather', ['ids_shape', 'i1'], ['seq_len']),
        node('Range', ['i0', 'seq_len', 'i1'], ['positions']),
        node('Gather', ['embeddings.position', 'positions'], ['position_vectors']),
        node('Add', ['word_vectors', 'position_vectors'], ['x']),
        node('Cast', ['attention_mask'], ['mask_f'], to=TensorProto.FLOAT),
        node('Cast', ['token_type_ids'], ['type_f'], to=TensorProto.FLOAT),
        node('Sub', ['one', 'type_f'], ['not_type']),
        node('Mul', ['mask_f', 'not_type'], ['mask_a']),  # query tokens
        node('Mul', ['mask_f', 'type_f'], ['mask_b']),  # passage tokens
    ]
    for seg in ['a', 'b']:
        nodes += [
            node('Unsqueeze', [f'mask_{seg}', 'axis_last'], [f'mask_{seg}_3d']),
            node('Mul', ['x', f'mask_{seg}_3d'], [f'x_{seg}']),
            node('ReduceSum', [f'x_{seg}', 'axis1'], [f'sum_{seg}'], keepdims=0),
            node('Mul', [f'sum_{seg}', f'sum_{seg}'], [f'sq_{seg}']),
            node('ReduceSum', [f'sq_{seg}', 'axis1'], [f'norm2_{seg}'], keepdims=1),
            node('Add', [f'norm2_{seg}', 'eps'], [f'norm2e_{seg}']),
            node('Sqrt', [f'norm2e_{seg}'], [f'norm_{seg}']),
            node('Div', [f'sum_{seg}', f'norm_{seg}'], [f'unit_{seg}']),
        ]
    nodes += [
        node('Mul', ['unit_a', 'unit_b'], ['prod']),
        node('ReduceSum', ['prod', 'axis1'], ['cosine'], keepdims=1),  # [b, 1]
        node('Mul', ['cosine', 'classifier.weight'], ['scaled']),
        node('Add', ['scaled', 'classifier.bias'], ['logits']),
    ]
    graph = helper.make_graph(
        nodes, 'tiny_bert_cross_encoder', seq_inputs(['input_ids', 'attention_mask', 'token_type_ids']),
        [helper.make_tensor_value_info('logits', TensorProto.FLOAT, ['batch_size', 1])],
        inits,
    )
    return graph, hidden


# --------------------------------------------------------------------------------------------
# Byte-level BPE tokenizer and tiny Llama-like decoder
# --------------------------------------------------------------------------------------------


def bytes_to_unicode():
    bs = list(range(ord('!'), ord('~') + 1)) + list(range(ord('¡'), ord('¬') + 1)) + list(range(ord('®'), ord('ÿ') + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


BYTE_CHARS = bytes_to_unicode()
CHAT_SPECIAL = ['<|endoftext|>', '<|im_start|>', '<|im_end|>']
REPLY_WORDS = ['Hello', ' from', ' a', ' tiny', ' test', ' model', '.']
CHAT_TEMPLATE = (
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)


def to_byte_level(text):
    return ''.join(BYTE_CHARS[b] for b in text.encode('utf-8'))


def bpe_vocab_and_merges():
    vocab = {tok: i for i, tok in enumerate(CHAT_SPECIAL)}
    for b in range(256):
        vocab.setdefault(BYTE_CHARS[b], len(vocab))
    merges = []
    for word in ['assistant', 'user', 'system'] + REPLY_WORDS:
        symbols = list(to_byte_level(word))
        while len(symbols) > 1:
            merged = symbols[0] + symbols[1]
            merges.append(f'{symbols[0]} {symbols[1]}')
            vocab.setdefault(merged, len(vocab))
            symbols = [merged] + symbols[2:]
    seen = set()
    merges = [m for m in merges if not (m in seen or seen.add(m))]
    return vocab, merges


def bpe_tokenizer_json(vocab, merges):
    byte_level = {'type': 'ByteLevel', 'add_prefix_space': False, 'trim_offsets': True, 'use_regex': True}
    return {
        'version': '1.0',
        'truncation': None,
        'padding': None,
        'added_tokens': [
            {'id': vocab[t], 'content': t, 'single_word': False, 'lstrip': False, 'rstrip': False, 'normalized': False, 'special': True}
            for t in CHAT_SPECIAL
        ],
        'normalizer': None,
        'pre_tokenizer': byte_level,
        'post_processor': dict(byte_level, trim_offsets=False),
        'decoder': byte_level,
        'model': {
            'type': 'BPE', 'dropout': None, 'unk_token': None, 'continuing_subword_prefix': '', 'end_of_word_suffix': '',
            'fuse_unk': False, 'byte_fallback': False, 'ignore_merges': False, 'vocab': vocab, 'merges': merges,
        },
    }


def decoder_graph(rng, vocab, hidden=16, head_dim=8):
    size = len(vocab)
    chain_tokens = ['Ċ'] + [to_byte_level(w) for w in REPLY_WORDS]  # Ċ is "\n", the end of the generation prompt
    chain_next = [to_byte_level(w) for w in REPLY_WORDS] + ['<|im_end|>']
    assert len(chain_tokens) <= hidden // 2
    emb = np.zeros((size, hidden), dtype=np.float32)
    emb[:, hidden // 2:] = rng.normal(0, 0.5, (size, hidden - hidden // 2))
    lm_head = rng.normal(0, 0.05, (hidden, size)).astype(np.float32)
    lm_head[: hidden // 2, :] = 0
    for state, (tok, nxt) in enumerate(zip(chain_tokens, chain_next)):
        emb[vocab[tok], state] = 1.0
        lm_head[state, vocab[nxt]] = 20.0
    wq, wk = (rng.normal(0, 1 / np.sqrt(hidden), (hidden, head_dim)).astype(np.float32) for _ in range(2))
    wv = rng.normal(0, 0.1, (hidden, head_dim)).astype(np.float32)
    wo = np.zeros((head_dim, hidden), dtype=np.float32)
    wo[:, hidden // 2:] = rng.normal(0, 0.1, (head_dim, hidden - hidden // 2))
    freq = np.zeros((hidden,), dtype=np.float32)
    freq[hidden // 2:] = 1.0 / (10000 ** (np.arange(hidden - hidden // 2) / (hidden - hidden // 2)))
    inits = [
        const('model.embed_tokens', emb), const('lm_head', lm_head),
        const('self_attn.q_proj', wq), const('self_attn.k_proj', wk), const('self_attn.v_proj', wv), const('self_attn.o_proj', wo),
        const('rotary.freq', freq), const('rotary.amplitude', 0.1), const('scale', 1 / np.sqrt(head_dim)), const('neg_inf', -1e9),
        const('i1', 1, np.int64), const('i2', 2, np.int64), const('i0', 0, np.int64),
        const('axis1', [1], np.int64), const('axis_last', [-1], np.int64), const('axes12', [1, 2], np.int64), const('axes01', [0, 1], np.int64),
    ]
    nodes = [
        node('Gather', ['model.embed_tokens', 'input_ids'], ['tok']),
        node('Cast', ['position_ids'], ['pos_f'], to=TensorProto.FLOAT),
        node('Unsqueeze', ['pos_f', 'axis_last'], ['pos_3d']),
        node('Mul', ['pos_3d', 'rotary.freq'], ['angles']),
        node('Sin', ['angles'], ['pos_sin']),
        node('Mul', ['pos_sin', 'rotary.amplitude'], ['pos_feat']),
        node('Add', ['tok', 'pos_feat'], ['x']),
        node('MatMul', ['x', 'self_attn.q_proj'], ['q3']),
        node('MatMul', ['x', 'self_attn.k_proj'], ['k3']),
        node('MatMul', ['x', 'self_attn.v_proj'], ['v3']),
        node('Unsqueeze', ['q3', 'axis1'], ['q']),
        node('Unsqueeze', ['k3', 'axis1'], ['k_new']),
        node('Unsqueeze', ['v3', 'axis1'], ['v_new']),
        node('Concat', ['past_key_values.0.key', 'k_new'], ['present.0.key'], axis=2),
        node('Concat', ['past_key_values.0.value', 'v_new'], ['present.0.value'], axis=2),
        node('Transpose', ['present.0.key'], ['k_t'], perm=[0, 1, 3, 2]),
        node('MatMul', ['q', 'k_t'], ['scores_raw']),
        node('Mul', ['scores_raw', 'scale'], ['scores_scaled']),  # [b, 1, s, t]
        # causal mask: query i (absolute position t - s + i) sees keys 0..t - s + i
        node('Shape', ['present.0.key'], ['k_shape']),
        node('Gather', ['k_shape', 'i2'], ['total_len']),
        node('Shape', ['input_ids'], ['ids_shape']),
        node('Gather', ['ids_shape', 'i1'], ['seq_len']),
        node('Sub', ['total_len', 'seq_len'], ['past_len']),
        node('Range', ['i0', 'total_len', 'i1'], ['key_pos']),
        node('Range', ['past_len', 'total_len', 'i1'], ['query_pos']),
        node('Unsqueeze', ['query_pos', 'axis_last'], ['query_pos_col']),
        node('LessOrEqual', ['key_pos', 'query_pos_col'], ['causal']),  # [s, t]
        node('Unsqueeze', ['causal', 'axes01'], ['causal_4d']),
        node('Cast', ['attention_mask'], ['mask_bool'], to=TensorProto.BOOL),
        node('Unsqueeze', ['mask_bool', 'axes12'], ['mask_4d']),  # [b, 1, 1, t]
        node('And', ['causal_4d', 'mask_4d'], ['allowed']),
        node('Where', ['allowed', 'scores_scaled', 'neg_inf'], ['scores']),
        node('Softmax', ['scores'], ['probs'], axis=-1),
        node('MatMul', ['probs', 'present.0.value'], ['context4']),
        node('Squeeze', ['context4', 'axis1'], ['context']),
        node('MatMul', ['context', 'self_attn.o_proj'], ['attended']),
        node('Add', ['x', 'attended'], ['hidden']),
        node('MatMul', ['hidden', 'lm_head'], ['logits']),
    ]
    cache_shape = ['batch_size', 1, 'past_sequence_length', head_dim]
    present_shape = ['batch_size', 1, 'total_sequence_length', head_dim]
    inputs = [
        helper.make_tensor_value_info('input_ids', TensorProto.INT64, ['batch_size', 'sequence_length']),
        helper.make_tensor_value_info('attention_mask', TensorProto.INT64, ['batch_size', 'total_sequence_length']),
        helper.make_tensor_value_info('position_ids', TensorProto.INT64, ['batch_size', 'sequence_length']),
        helper.make_tensor_value_info('past_key_values.0.key', TensorProto.FLOAT, cache_shape),
        helper.make_tensor_value_info('past_key_values.0.value', TensorProto.FLOAT, cache_shape),
    ]
    outputs = [
        helper.make_tensor_value_info('logits', TensorProto.FLOAT, ['batch_size', 'sequence_length', size]),
        helper.make_tensor_value_info('present.0.key', TensorProto.FLOAT, present_shape),
        helper.make_tensor_value_info('present.0.value', TensorProto.FLOAT, present_shape),
    ]
    return helper.make_graph(nodes, 'tiny_llama_decoder', inputs, outputs, inits)


# --------------------------------------------------------------------------------------------


def main():
    rng = np.random.RandomState(20260315)
    out = os.path.abspath(os.path.join(ROOT, ORG))
    if os.path.isdir(out):
        shutil.rmtree(out)

    # Embedder
    folder = os.path.join(out, 'tiny-bert-embedder')
    graph, hidden = encoder_graph(rng)
    save_model(graph, os.path.join(folder, 'onnx', 'model.onnx'))
    save_model(quantize_initializers(graph), os.path.join(folder, 'onnx', 'model_quantized.onnx'))
    write_json(os.path.join(folder, 'config.json'), bert_config(hidden, ['BertModel']))
    write_json(os.path.join(folder, 'tokenizer.json'), wordpiece_tokenizer_json())
    write_json(os.path.join(folder, 'tokenizer_config.json'), wordpiece_tokenizer_config())

    # Cross-encoder
    folder = os.path.join(out, 'tiny-bert-cross-encoder')
    graph, hidden = cross_encoder_graph(rng)
    save_model(graph, os.path.join(folder, 'onnx', 'model.onnx'))
    write_json(os.path.join(folder, 'config.json'), bert_config(hidden, ['BertForSequenceClassification'], {'id2label': {'0': 'LABEL_0'}, 'label2id': {'LABEL_0': 0}}))
    write_json(os.path.join(folder, 'tokenizer.json'), wordpiece_tokenizer_json())
    write_json(os.path.join(folder, 'tokenizer_config.json'), wordpiece_tokenizer_config())

    # Chat
    folder = os.path.join(out, 'tiny-llama-chat')
    vocab, merges = bpe_vocab_and_merges()
    hidden, head_dim, context = 16, 8, 1024
    graph = decoder_graph(rng, vocab, hidden, head_dim)
    save_model(graph, os.path.join(folder, 'onnx', 'model.onnx'))
    eos, bos = vocab['<|im_end|>'], vocab['<|im_start|>']
    write_json(os.path.join(folder, 'config.json'), {
        'architectures': ['LlamaForCausalLM'],
        'model_type': 'llama',
        'hidden_size': hidden,
        'intermediate_size': hidden,
        'num_hidden_layers': 1,
        'num_attention_heads': 1,
        'num_key_value_heads': 1,
        'head_dim': head_dim,
        'max_position_embeddings': context,
        'vocab_size': len(vocab),
        'bos_token_id': bos,
        'eos_token_id': eos,
        'pad_token_id': vocab['<|endoftext|>'],
        'tie_word_embeddings': False,
        'rms_norm_eps': 1e-5,
        'rope_theta': 10000.0,
        'hidden_act': 'silu',
    })
    write_json(os.path.join(folder, 'generation_config.json'), {'bos_token_id': bos, 'eos_token_id': eos, 'pad_token_id': vocab['<|endoftext|>']})
    write_json(os.path.join(folder, 'tokenizer.json'), bpe_tokenizer_json(vocab, merges))
    write_json(os.path.join(folder, 'tokenizer_config.json'), {
        'tokenizer_class': 'GPT2Tokenizer',
        'model_max_length': context,
        'bos_token': '<|im_start|>',
        'eos_token': '<|im_end|>',
        'pad_token': '<|endoftext|>',
        'unk_token': '<|endoftext|>',
        'add_prefix_space': False,
        'clean_up_tokenization_spaces': False,
        'chat_template': CHAT_TEMPLATE,
    })

    total = 0
    for dirpath, _, files in os.walk(out):
        for name in sorted(files):
            path = os.path.join(dirpath, name)
            size = os.path.getsize(path)
            total += size
            print(f'{size:>8}  {os.path.relpath(path, os.path.join(ROOT, ".."))}')
    print(f'{total:>8}  bytes in total')


if __name__ == '__main__':
    main()
