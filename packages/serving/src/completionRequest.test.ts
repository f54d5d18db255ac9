import { describe, expect, it } from "vitest";
import { parseChatCompletionRequest, parseCompletionRequest } from "./completionRequest.ts";
import { openAiErrorOf } from "./openAiError.ts";

const chat = { model: "m", messages: [{ role: "user", content: "hi" }] };

function refusal(f: () => unknown) {
  try {
    f();
  } catch (error) {
    return openAiErrorOf(error);
  }
  throw new Error("not refused");
}

describe("OpenAI request checks", () => {
  it("fills OpenAI's defaults and maps developer to system and text parts to text", () => {
    const r = parseChatCompletionRequest({
      ...chat,
      messages: [
        { role: "developer", content: "be brief" },
        {
          role: "user",
          content: [
            { type: "text", text: "a" },
            { type: "text", text: "b" },
          ],
        },
      ],
    });
    expect(r).toMatchObject({ temperature: 1, topP: 1, stop: [], stream: false, includeUsage: false });
    expect(r.maxTokens).toBeUndefined();
    expect(r.input).toEqual({
      kind: "chat",
      conversation: {
        conversations: [
          { role: "system", content: "be brief" },
          { role: "user", content: "ab" },
        ],
      },
    });
  });

  it("reads max_completion_tokens before max_tokens, stop as string or array, include_usage", () => {
    const r = parseChatCompletionRequest({
      ...chat,
      max_tokens: 9,
      max_completion_tokens: 5,
      stop: "\n",
      seed: 3,
      stream: true,
      stream_options: { include_usage: true },
      n: 1,
    });
    expect(r).toMatchObject({ maxTokens: 5, stop: ["\n"], seed: 3, stream: true, includeUsage: true });
    expect(parseCompletionRequest({ model: "m", prompt: ["x"], stop: ["a", ""] })).toMatchObject({
      maxTokens: 16,
      stop: ["a"],
      input: { kind: "text", prompt: "x" },
    });
  });

  it("refuses bad fields with 400, OpenAI's code and the field at fault", () => {
    const cases: Array<[unknown, string, string]> = [
      [{ messages: chat.messages }, "model", "missing_required_parameter"],
      [{ ...chat, messages: [] }, "messages", "missing_required_parameter"],
      [{ ...chat, messages: [{ role: "wizard", content: "x" }] }, "messages[0].role", "invalid_value"],
      [{ ...chat, temperature: 3 }, "temperature", "invalid_value"],
      [{ ...chat, top_p: "high" }, "top_p", "invalid_type"],
      [{ ...chat, max_tokens: 0 }, "max_tokens", "invalid_value"],
      [{ ...chat, max_tokens: 1.5 }, "max_tokens", "invalid_type"],
      [{ ...chat, stop: ["a", "b", "c", "d", "e"] }, "stop", "invalid_value"],
      [{ ...chat, n: 2 }, "n", "unsupported_value"],
      [{ ...chat, logprobs: true }, "logprobs", "unsupported_parameter"],
      [{ ...chat, stream_options: { include_usage: true } }, "stream_options", "invalid_value"],
    ];
    for (const [body, param, code] of cases) {
      const { status, body: error } = refusal(() => parseChatCompletionRequest(body));
      expect({ status, param: error.error.param, code: error.error.code, type: error.error.type }).toEqual({
        status: 400,
        param,
        code,
        type: "invalid_request_error",
      });
      expect(error.error.flock_code).toBe("SERVING_REQUEST_INVALID");
      expect(error.error.hint).toBeTruthy();
    }
    expect(refusal(() => parseCompletionRequest({ model: "m", prompt: [1, 2] })).body.error.param).toBe(
      "prompt",
    );
    expect(refusal(() => parseCompletionRequest([])).status).toBe(400);
  });
});
