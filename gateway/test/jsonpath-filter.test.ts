import { describe, expect, it } from "vitest";
import { compileFilter, FilterError } from "../src/jsonpath-filter.ts";

const item = {
  "beckn:itemAttributes": {
    sourceType: "SOLAR",
    deliveryMode: "GRID_INJECTION",
    availableQuantity: 12.5,
    productionWindow: [{ start: "2026-01-01T10:00:00Z", end: "2026-01-01T10:15:00Z" }],
  },
};

describe("discovery filters (JSONPath subset)", () => {
  it("evaluates the guide's kind of filter, any-of over arrays", () => {
    const f = (e: string) => compileFilter(e)(item);
    expect(
      f(
        "$[?(@.beckn:itemAttributes.sourceType == 'SOLAR' && @.beckn:itemAttributes.availableQuantity >= 10.0)]",
      ),
    ).toBe(true);
    expect(
      f(
        "$[?(@.beckn:itemAttributes.sourceType == 'BATTERY' || @.beckn:itemAttributes.availableQuantity > 12)]",
      ),
    ).toBe(true);
    expect(f("$[?(@.beckn:itemAttributes.availableQuantity < 12)]")).toBe(false);
    expect(f("$[?(@.beckn:itemAttributes.productionWindow.start <= '2026-01-01T10:00:00Z')]")).toBe(true);
    expect(f("$[?(@['beckn:itemAttributes'].deliveryMode != \"V2G\")]")).toBe(true);
    expect(f("$[?(@.beckn:itemAttributes.missing == 'x')]")).toBe(false);
    expect(
      f(
        "$[?((@.beckn:itemAttributes.sourceType == 'WIND' || @.beckn:itemAttributes.sourceType == 'SOLAR') && @.beckn:itemAttributes.availableQuantity > 1)]",
      ),
    ).toBe(true);
  });

  it("refuses what it does not support, saying where", () => {
    expect(() => compileFilter("$..price")).toThrow(FilterError);
    expect(() => compileFilter("$[?(@.a ~ 'x')]")).toThrow(/comparison operator was expected at position/);
    expect(() => compileFilter("$[?(@.a == 'x')")).toThrow(FilterError);
    expect(() => compileFilter("$[?(@.a == 'x)]")).toThrow(/unterminated/);
  });
});
