"""Answers from a causal language model loaded with transformers from a local folder only.

Greedy decoding, batches left-padded, prompts cut to the model's context: when a prompt with
`max_new_tokens` to generate does not fit, the document text is truncated at its end and the
template (instruction, question, answer cue) is kept whole. An answer is the first non-blank
line of the generated text, stripped; a generation that raises, or yields no answer, is a failure.
"""
import importlib.util
import os

from ..errors import CheckpointError, ConfigError, DistilDocError

DTYPES = ("auto", "float32", "float16", "bfloat16")
UNBOUNDED_LENGTH = 1_000_000


def clean_answer(output):
    """The first non-blank line of a generated text, stripped ("" when there is none)."""
    return next((line.strip() for line in (output or "").splitlines() if line.strip()), "")


def _torch_dtype(dtype, device):
    import torch

    if dtype == "auto":
        if device.startswith("cuda"):
            return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        return torch.float32
    if dtype not in DTYPES:
        raise ConfigError(f"unknown dtype {dtype!r} (one of {', '.join(DTYPES)})")
    return getattr(torch, dtype)


def _check_4bit():
    import torch

    missing = [name for name in ("bitsandbytes", "accelerate") if importlib.util.find_spec(name) is None]
    if missing or not torch.cuda.is_available():
        reason = f"{' and '.join(missing)} not installed" if missing else "no CUDA GPU is visible"
        raise ConfigError(f"4-bit loading needs bitsandbytes, accelerate and a CUDA GPU ({reason}); "
                          "pip install bitsandbytes accelerate, or drop --load-in-4bit")


def load_causal_lm(path, device="auto", dtype="auto", load_in_4bit=False):
    """(model, tokenizer) from a local folder (`local_files_only=True`, never a hub download), the
    model in eval mode and the tokenizer padding on the left."""
    if not os.path.isdir(path):
        raise CheckpointError(f"{path} is not a folder: language models are loaded only from a local folder "
                              "holding config.json, the weights and the tokenizer files")
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    kwargs = {"local_files_only": True, "dtype": _torch_dtype(dtype, device)}
    if load_in_4bit:
        _check_4bit()
        from transformers import BitsAndBytesConfig

        kwargs.update(quantization_config=BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_compute_dtype=kwargs["dtype"]),
                      device_map={"": 0})
    try:
        tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True, padding_side="left")
        model = AutoModelForCausalLM.from_pretrained(path, **kwargs)
    except (OSError, ValueError) as err:
        raise CheckpointError(f"cannot load a causal language model from {path}: {err}") from err
    if not load_in_4bit:
        model.to(device)
    model.eval()
    if tokenizer.pad_token_id is None:
        if tokenizer.eos_token_id is None:
            raise CheckpointError(f"the tokenizer in {path} has neither a pad nor an eos token")
        tokenizer.pad_token = tokenizer.eos_token
    return model, tokenizer


def model_max_length(model, tokenizer):
    """The context length: the smaller of the model's position limit and the tokenizer's bound
    (None when neither is known)."""
    config = model.config
    get_text_config = getattr(config, "get_text_config", None)
    config = get_text_config() if get_text_config else config
    limits = [getattr(config, name, None) for name in ("max_position_embeddings", "n_positions", "max_sequence_length")]
    limits.append(getattr(tokenizer, "model_max_length", None))
    limits = [int(v) for v in limits if isinstance(v, int) and 0 < v < UNBOUNDED_LENGTH]
    return min(limits) if limits else None


class Answerer:
    """Prompts fitted to a causal LM's context and answered greedily in batches."""

    def __init__(self, model, tokenizer, max_new_tokens=32, batch_size=4, max_length=None, chat_template=False):
        self.model, self.tokenizer = model, tokenizer
        self.max_new_tokens, self.batch_size = int(max_new_tokens), max(1, int(batch_size))
        self.chat_template = chat_template
        if chat_template and not getattr(tokenizer, "chat_template", None):
            raise ConfigError("the tokenizer has no chat template: drop --chat-template")
        self.max_length = max_length or model_max_length(model, tokenizer)
        if not self.max_length:
            raise ConfigError("the model's context length is unknown: give --max-length")
        self.max_prompt_tokens = self.max_length - self.max_new_tokens
        if self.max_prompt_tokens <= 0:
            raise ConfigError(f"max new tokens ({self.max_new_tokens}) leave no room for a prompt in the "
                              f"context of {self.max_length} tokens")

    def settings(self):
        """What shapes the answers, as stored with a run."""
        return {"max_new_tokens": self.max_new_tokens, "max_length": self.max_length,
                "chat_template": self.chat_template}

    def wrap(self, prompt):
        """The text given to the tokenizer: the prompt, inside the chat template when asked for."""
        if not self.chat_template:
            return prompt
        return self.tokenizer.apply_chat_template([{"role": "user", "content": prompt}], tokenize=False,
                                                  add_generation_prompt=True)

    def count_tokens(self, text):
        """Number of tokens of a wrapped prompt as the model sees it."""
        return len(self.tokenizer(text, add_special_tokens=not self.chat_template)["input_ids"])

    def fit_prompt(self, template, document, question):
        """(text, token count, truncated) of the prompt for a document text and a question, the
        document cut at its end when the whole does not fit the context."""
        text = self.wrap(template.render(document, question))
        count = self.count_tokens(text)
        if count <= self.max_prompt_tokens:
            return text, count, False
        room = self.max_prompt_tokens - self.count_tokens(self.wrap(template.render("", question)))
        if room <= 0:
            raise DistilDocError(f"the prompt without its document takes more than {self.max_prompt_tokens} tokens")
        ids = self.tokenizer(document, add_special_tokens=False)["input_ids"]
        keep = min(room, len(ids))
        while keep > 0:
            cut = self.tokenizer.decode(ids[:keep], skip_special_tokens=False, clean_up_tokenization_spaces=False)
            text = self.wrap(template.render(cut, question))
            count = self.count_tokens(text)
            if count <= self.max_prompt_tokens:
                return text, count, True
            keep -= max(1, count - self.max_prompt_tokens)
        text = self.wrap(template.render("", question))
        return text, self.count_tokens(text), True

    def generate(self, texts):
        """Generated continuations of wrapped prompts (one batch, greedy); raises on failure."""
        import torch
        from transformers import GenerationConfig

        encoded = self.tokenizer(list(texts), return_tensors="pt", padding=True,
                                 add_special_tokens=not self.chat_template)
        device = next(self.model.parameters()).device
        encoded = {k: v.to(device) for k, v in encoded.items()}
        config = GenerationConfig(max_new_tokens=self.max_new_tokens, do_sample=False, num_beams=1,
                                  pad_token_id=self.tokenizer.pad_token_id,
                                  eos_token_id=self.model.generation_config.eos_token_id or self.tokenizer.eos_token_id)
        with torch.inference_mode():
            output = self.model.generate(**encoded, generation_config=config)
        new_tokens = output[:, encoded["input_ids"].shape[1]:]
        return self.tokenizer.batch_decode(new_tokens, skip_special_tokens=True)

    def answer(self, texts):
        """(output, error) per wrapped prompt: a failing batch is retried one prompt at a time, and
        a prompt whose generation raises gets output None and the error's message."""
        try:
            return [(output, None) for output in self.generate(texts)]
        except Exception as err:  # noqa: BLE001  (any failure of the model is recorded, never fatal)
            if len(texts) == 1:
                return [(None, f"{type(err).__name__}: {err}")]
            _free_cuda_memory()
            return [self.answer([text])[0] for text in texts]


def _free_cuda_memory():
    import torch

    if torch.cuda.is_available():
        torch.cuda.empty_cache()
