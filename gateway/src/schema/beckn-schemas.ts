/**
 * PowerShare's own JSON Schemas (2020-12) for the Beckn v2 message parts the gateway reads and
 * writes, and for the P2P energy trading attribute packs it emits. Written for this gateway from the
 * protocol's documented interface — the field names, value sets and which objects nest where, as the
 * Beckn v2 core objects and the Digital Energy Grid's P2P trading guide name them — not copied from
 * any published schema file (decision 0053; the Beckn core schema file is CC-BY-NC-SA).
 *
 * Strictness is ours: objects the gateway builds are closed (`additionalProperties: false`) so an
 * answer with a misspelt or stray field fails its test; objects a BAP sends (an order in select,
 * init, confirm) are checked for the fields the gateway relies on and otherwise left open, as the
 * protocol lets networks extend them.
 */

type Schema = Record<string, unknown>;

const str: Schema = { type: "string" };
const nonEmpty: Schema = { type: "string", minLength: 1 };
const uri: Schema = { type: "string", format: "uri" };
const dateTime: Schema = { type: "string", format: "date-time" };
const clockTime: Schema = { type: "string", format: "time" };
const num: Schema = { type: "number" };
const nonNegative: Schema = { type: "number", minimum: 0 };
const bool: Schema = { type: "boolean" };
const ref = (name: string): Schema => ({ $ref: `#/$defs/${name}` });
const list = (items: Schema, minItems?: number): Schema => ({
  type: "array",
  items,
  ...(minItems ? { minItems } : {}),
});
const oneOfValues = (...values: string[]): Schema => ({ type: "string", enum: values });
/** A closed object: the listed properties only, `required` among them. */
const closed = (properties: Record<string, Schema>, required: string[] = []): Schema => ({
  type: "object",
  properties,
  required,
  additionalProperties: false,
});
/** An open object: the listed properties checked, others allowed. */
const open = (properties: Record<string, Schema>, required: string[] = []): Schema => ({
  type: "object",
  properties,
  required,
});
const jsonLd = (type: string | string[]): Record<string, Schema> => ({
  "@context": uri,
  "@type": Array.isArray(type) ? oneOfValues(...type) : { const: type },
});

/** Order states of the Beckn v2 order object. */
export const ORDER_STATES = [
  "CREATED",
  "PENDING",
  "CONFIRMED",
  "INPROGRESS",
  "PARTIALLYFULFILLED",
  "COMPLETED",
  "CANCELLED",
  "REJECTED",
  "FAILED",
  "RETURNED",
  "REFUNDED",
  "ONHOLD",
] as const;

/** Payment states of the Beckn v2 payment object. */
export const PAYMENT_STATES = [
  "INITIATED",
  "PENDING",
  "AUTHORIZED",
  "CAPTURED",
  "COMPLETED",
  "FAILED",
  "CANCELLED",
  "REFUNDED",
  "PARTIALLY_REFUNDED",
  "CHARGEBACK",
  "DISPUTED",
  "EXPIRED",
  "REVERSED",
  "VOIDED",
  "SETTLED",
  "ON_HOLD",
  "ADJUSTED",
] as const;

const SOURCE_TYPES = ["SOLAR", "BATTERY", "GRID", "HYBRID", "RENEWABLE"];
const DELIVERY_MODES = ["EV_CHARGING", "BATTERY_SWAP", "V2G", "GRID_INJECTION"];
const PAYMENT_METHODS = ["UPI", "CREDIT_CARD", "DEBIT_CARD", "WALLET", "BANK_TRANSFER", "CASH", "APPLE_PAY"];

/** The core message parts: catalog, item, offer, provider, order and what they hold; ACK and error. */
export const BECKN_CORE: Schema = {
  $schema: "https://json-schema.org/draft/2020-12/schema",
  title: "PowerShare gateway: Beckn v2 core message parts",
  $defs: {
    /** A JSON-LD attribute bag: a typed object whose own pack defines the rest. */
    Attributes: {
      type: "object",
      required: ["@context", "@type"],
      properties: { "@context": uri, "@type": nonEmpty },
    },
    Descriptor: closed(
      {
        "@type": { const: "beckn:Descriptor" },
        "schema:name": str,
        "beckn:shortDesc": str,
        "beckn:longDesc": str,
        "schema:image": list(uri),
      },
      ["@type"],
    ),
    TimePeriod: {
      ...closed(
        {
          "@type": { const: "beckn:TimePeriod" },
          "schema:startDate": dateTime,
          "schema:endDate": dateTime,
          "schema:startTime": clockTime,
          "schema:endTime": clockTime,
        },
        ["@type"],
      ),
      anyOf: [
        { required: ["schema:startDate"] },
        { required: ["schema:endDate"] },
        { required: ["schema:startTime", "schema:endTime"] },
      ],
    },
    CategoryCode: closed(
      { "@type": { const: "schema:CategoryCode" }, "schema:codeValue": nonEmpty, "schema:name": str },
      ["@type", "schema:codeValue"],
    ),
    Rating: closed(
      {
        "@type": { const: "beckn:Rating" },
        "beckn:ratingValue": { type: "number", minimum: 0, maximum: 5 },
        "beckn:ratingCount": { type: "integer", minimum: 0 },
      },
      ["@type"],
    ),
    Quantity: closed({
      unitQuantity: nonNegative,
      unitText: str,
      unitCode: str,
      minQuantity: nonNegative,
      maxQuantity: nonNegative,
    }),
    PriceSpecification: closed({
      currency: nonEmpty,
      value: num,
      applicableQuantity: ref("Quantity"),
      components: list(
        closed(
          {
            type: oneOfValues("UNIT", "TAX", "DELIVERY", "DISCOUNT", "FEE", "SURCHARGE"),
            value: num,
            currency: nonEmpty,
            description: str,
          },
          ["type", "value"],
        ),
      ),
    }),
    Provider: closed(
      {
        "beckn:id": nonEmpty,
        "beckn:descriptor": ref("Descriptor"),
        "beckn:rateable": bool,
        "beckn:rating": ref("Rating"),
        "beckn:providerAttributes": ref("Attributes"),
      },
      ["beckn:id", "beckn:descriptor"],
    ),
    Item: closed(
      {
        ...jsonLd("beckn:Item"),
        "beckn:id": nonEmpty,
        "beckn:descriptor": ref("Descriptor"),
        "beckn:category": ref("CategoryCode"),
        "beckn:availabilityWindow": list(ref("TimePeriod")),
        "beckn:rateable": bool,
        "beckn:rating": ref("Rating"),
        "beckn:isActive": bool,
        "beckn:provider": ref("Provider"),
        "beckn:itemAttributes": ref("Attributes"),
      },
      ["@context", "@type", "beckn:id", "beckn:descriptor", "beckn:provider", "beckn:itemAttributes"],
    ),
    /** An offer as the gateway publishes it (closed). */
    Offer: closed(
      {
        ...jsonLd("beckn:Offer"),
        "beckn:id": nonEmpty,
        "beckn:descriptor": ref("Descriptor"),
        "beckn:provider": nonEmpty,
        "beckn:items": list(nonEmpty, 1),
        "beckn:validity": ref("TimePeriod"),
        "beckn:price": ref("PriceSpecification"),
        "beckn:acceptedPaymentMethod": list(oneOfValues(...PAYMENT_METHODS)),
        "beckn:isActive": bool,
        "beckn:offerAttributes": ref("Attributes"),
      },
      ["@context", "@type", "beckn:id", "beckn:descriptor", "beckn:provider", "beckn:items"],
    ),
    Catalog: closed(
      {
        ...jsonLd("beckn:Catalog"),
        "beckn:id": nonEmpty,
        "beckn:descriptor": ref("Descriptor"),
        "beckn:bppId": nonEmpty,
        "beckn:bppUri": uri,
        "beckn:validity": ref("TimePeriod"),
        "beckn:isActive": bool,
        "beckn:items": list(ref("Item")),
        "beckn:offers": list(ref("Offer")),
      },
      ["@context", "@type", "beckn:id", "beckn:descriptor", "beckn:bppId", "beckn:bppUri", "beckn:items"],
    ),
    Buyer: open(
      {
        ...jsonLd("beckn:Buyer"),
        "beckn:id": nonEmpty,
        "beckn:role": str,
        "beckn:displayName": str,
        "beckn:email": { type: "string", format: "email" },
        "beckn:buyerAttributes": ref("Attributes"),
      },
      ["@context", "@type", "beckn:id"],
    ),
    OrderItem: closed(
      {
        "beckn:lineId": nonEmpty,
        "beckn:orderedItem": nonEmpty,
        "beckn:quantity": ref("Quantity"),
        "beckn:acceptedOffer": ref("Offer"),
        "beckn:price": ref("PriceSpecification"),
        "beckn:orderItemAttributes": ref("Attributes"),
      },
      ["beckn:orderedItem"],
    ),
    Payment: closed(
      {
        ...jsonLd("beckn:Payment"),
        "beckn:id": nonEmpty,
        "beckn:paymentStatus": oneOfValues(...PAYMENT_STATES),
        "beckn:amount": closed({ currency: nonEmpty, value: num }, ["currency", "value"]),
        "beckn:txnRef": nonEmpty,
        "beckn:paidAt": dateTime,
        "beckn:paymentURL": uri,
        "beckn:acceptedPaymentMethod": list(oneOfValues(...PAYMENT_METHODS)),
        "beckn:beneficiary": oneOfValues("BPP", "BAP", "BUYER"),
        "beckn:paymentAttributes": ref("Attributes"),
      },
      ["@context", "@type", "beckn:paymentStatus"],
    ),
    Fulfillment: closed(
      {
        ...jsonLd("beckn:Fulfillment"),
        "beckn:id": nonEmpty,
        "beckn:mode": oneOfValues("DELIVERY", "PICKUP", "RESERVATION", "DIGITAL"),
        "beckn:fulfillmentStatus": nonEmpty,
        "beckn:deliveryAttributes": ref("Attributes"),
      },
      ["@context", "@type", "beckn:mode"],
    ),
    /** An order as the gateway answers with it (closed). */
    Order: closed(
      {
        ...jsonLd("beckn:Order"),
        "beckn:id": nonEmpty,
        "beckn:orderStatus": oneOfValues(...ORDER_STATES),
        "beckn:seller": nonEmpty,
        "beckn:buyer": ref("Buyer"),
        "beckn:orderItems": list(ref("OrderItem"), 1),
        "beckn:orderValue": ref("PriceSpecification"),
        "beckn:payment": ref("Payment"),
        "beckn:fulfillment": ref("Fulfillment"),
        "beckn:orderAttributes": ref("Attributes"),
      },
      ["@context", "@type", "beckn:orderStatus", "beckn:seller", "beckn:buyer", "beckn:orderItems"],
    ),
    /**
     * An order as a BAP sends it in select, init and confirm: what the gateway reads (the lines'
     * item ids, quantities and accepted offers, the buyer) must be well-formed; other fields pass.
     */
    IncomingOrder: open(
      {
        ...jsonLd("beckn:Order"),
        "beckn:id": nonEmpty,
        "beckn:orderStatus": oneOfValues(...ORDER_STATES),
        "beckn:seller": nonEmpty,
        "beckn:buyer": ref("Buyer"),
        "beckn:orderItems": list(
          open(
            {
              "beckn:lineId": nonEmpty,
              "beckn:orderedItem": nonEmpty,
              "beckn:quantity": open({ unitQuantity: nonNegative, unitText: str, unitCode: str }),
              "beckn:acceptedOffer": open(
                {
                  ...jsonLd("beckn:Offer"),
                  "beckn:id": nonEmpty,
                  "beckn:provider": nonEmpty,
                  "beckn:items": list(nonEmpty, 1),
                  "beckn:offerAttributes": ref("Attributes"),
                },
                ["beckn:id"],
              ),
              "beckn:orderItemAttributes": ref("Attributes"),
            },
            ["beckn:orderedItem"],
          ),
          1,
        ),
        "beckn:fulfillment": open({ ...jsonLd("beckn:Fulfillment"), "beckn:id": nonEmpty }),
        "beckn:payment": open({ ...jsonLd("beckn:Payment") }),
      },
      ["@context", "@type", "beckn:seller", "beckn:buyer", "beckn:orderItems"],
    ),
    Error: open({ code: nonEmpty, message: str, details: { type: "object" } }, ["code", "message"]),
    AckResponse: {
      ...closed(
        {
          transactionId: str,
          timestamp: dateTime,
          ackStatus: oneOfValues("ACK", "NACK"),
          error: ref("Error"),
        },
        ["transactionId", "timestamp", "ackStatus"],
      ),
      if: { properties: { ackStatus: { const: "NACK" } } },
      then: { required: ["error"] },
      else: { not: { required: ["error"] } },
    },
  },
};

/** The P2P energy trading attribute packs as the gateway emits them (all closed). */
export const ENERGY_PACKS: Schema = {
  $schema: "https://json-schema.org/draft/2020-12/schema",
  title: "PowerShare gateway: P2P energy trading attribute packs",
  $defs: {
    TimePeriod: {
      type: "object",
      required: ["@type"],
      properties: {
        "@type": { const: "beckn:TimePeriod" },
        "schema:startDate": dateTime,
        "schema:endDate": dateTime,
        "schema:startTime": clockTime,
        "schema:endTime": clockTime,
      },
    },
    /** A slot as a window with the guide's start/end as well as the schema.org dates. */
    Window: {
      type: "object",
      required: ["schema:startDate", "schema:endDate"],
      properties: {
        "@type": { const: "beckn:TimePeriod" },
        "schema:startDate": dateTime,
        "schema:endDate": dateTime,
        "schema:startTime": clockTime,
        "schema:endTime": clockTime,
        start: dateTime,
        end: dateTime,
      },
      additionalProperties: false,
    },
    EnergyResource: closed(
      {
        ...jsonLd("EnergyResource"),
        sourceType: oneOfValues(...SOURCE_TYPES),
        deliveryMode: oneOfValues(...DELIVERY_MODES),
        meterId: nonEmpty,
        availableQuantity: nonNegative,
        productionWindow: list(ref("Window")),
        productionAsynchronous: bool,
        certificationStatus: str,
      },
      ["@context", "@type", "sourceType", "deliveryMode", "meterId", "availableQuantity"],
    ),
    EnergyTradeOffer: closed(
      {
        ...jsonLd("EnergyTradeOffer"),
        pricingModel: oneOfValues("PER_KWH", "TIME_OF_DAY", "SUBSCRIPTION", "FIXED"),
        settlementType: oneOfValues("REAL_TIME", "HOURLY", "DAILY", "WEEKLY", "MONTHLY"),
        sourceMeterId: nonEmpty,
        minimumQuantity: nonNegative,
        maximumQuantity: nonNegative,
        validityWindow: { allOf: [ref("TimePeriod"), { required: ["schema:startTime", "schema:endTime"] }] },
        "beckn:price": closed({ value: nonNegative, currency: nonEmpty, unitText: str }, [
          "value",
          "currency",
        ]),
        "beckn:maxQuantity": closed({ unitQuantity: nonNegative, unitText: str, unitCode: str }, [
          "unitQuantity",
        ]),
        "beckn:timeWindow": {
          allOf: [ref("TimePeriod"), { required: ["schema:startDate", "schema:endDate"] }],
        },
      },
      ["@context", "@type", "pricingModel"],
    ),
    EnergyOrderItem: closed(
      {
        ...jsonLd("EnergyOrderItem"),
        providerAttributes: open({ ...jsonLd("EnergyCustomer"), meterId: nonEmpty }, ["@type"]),
        fulfillmentAttributes: {
          type: "object",
          required: ["@type"],
          properties: { "@type": { const: "EnergyTradeDelivery" } },
        },
      },
      ["@context", "@type", "providerAttributes"],
    ),
    EnergyTradeContract: closed(
      {
        ...jsonLd("EnergyTradeContract"),
        contractStatus: oneOfValues("PENDING", "ACTIVE", "COMPLETED", "TERMINATED"),
        sourceMeterId: nonEmpty,
        targetMeterId: nonEmpty,
        contractedQuantity: nonNegative,
        tradeStartTime: dateTime,
        tradeEndTime: dateTime,
        sourceType: oneOfValues(...SOURCE_TYPES),
        settlementCycles: list(
          closed(
            {
              cycleId: nonEmpty,
              startTime: dateTime,
              endTime: dateTime,
              status: oneOfValues("PENDING", "SETTLED", "FAILED"),
              amount: nonNegative,
              currency: nonEmpty,
            },
            ["cycleId", "status"],
          ),
        ),
        lastUpdated: dateTime,
      },
      ["@context", "@type", "contractStatus"],
    ),
    EnergyTradeDelivery: closed(
      {
        ...jsonLd("EnergyTradeDelivery"),
        deliveryStatus: oneOfValues("PENDING", "IN_PROGRESS", "COMPLETED", "FAILED"),
        deliveryMode: oneOfValues(...DELIVERY_MODES),
        deliveredQuantity: nonNegative,
        deliveryStartTime: dateTime,
        deliveryEndTime: { type: ["string", "null"], format: "date-time" },
        meterReadings: list(
          closed(
            { timestamp: dateTime, sourceReading: nonNegative, targetReading: nonNegative, energyFlow: num },
            ["timestamp"],
          ),
        ),
        settlementCycleId: str,
        lastUpdated: dateTime,
      },
      ["@context", "@type", "deliveryStatus"],
    ),
  },
};
