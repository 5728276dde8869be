/**
 * The market contract fragments the oracle uses. The contracts package will export the full ABIs;
 * until then these fragments are the oracle's side of the interface.
 */
export const marketAbi = [
  {
    type: "function",
    name: "meterSlotLengths",
    stateMutability: "view",
    inputs: [{ name: "meterIds", type: "uint32[]" }],
    outputs: [{ name: "slotLengths", type: "uint256[]" }],
  },
  {
    type: "function",
    name: "meter",
    stateMutability: "view",
    inputs: [{ name: "meterId", type: "uint32" }],
    outputs: [
      { name: "owner", type: "address" },
      { name: "communityId", type: "uint32" },
      { name: "kind", type: "uint8" },
      { name: "active", type: "bool" },
      { name: "capacityW", type: "uint32" },
      { name: "deviceKey", type: "address" },
    ],
  },
  {
    type: "function",
    name: "reportOf",
    stateMutability: "view",
    inputs: [
      { name: "meterId", type: "uint32" },
      { name: "slotStart", type: "uint40" },
    ],
    outputs: [
      { name: "exists", type: "bool" },
      { name: "importedWh", type: "uint64" },
      { name: "exportedWh", type: "uint64" },
    ],
  },
  {
    type: "function",
    name: "submitReports",
    stateMutability: "nonpayable",
    inputs: [
      {
        name: "reports",
        type: "tuple[]",
        components: [
          { name: "meterId", type: "uint32" },
          { name: "slotStart", type: "uint40" },
          { name: "importedWh", type: "uint64" },
          { name: "exportedWh", type: "uint64" },
        ],
      },
      { name: "signers", type: "address[]" },
      { name: "signatures", type: "bytes[]" },
    ],
    outputs: [],
  },
  {
    type: "function",
    name: "attestSilence",
    stateMutability: "nonpayable",
    inputs: [
      { name: "slotStart", type: "uint40" },
      { name: "meterIds", type: "uint32[]" },
      { name: "signers", type: "address[]" },
      { name: "signatures", type: "bytes[]" },
    ],
    outputs: [],
  },
  {
    type: "function",
    name: "isSilent",
    stateMutability: "view",
    inputs: [
      { name: "meterId", type: "uint32" },
      { name: "slotStart", type: "uint40" },
    ],
    outputs: [{ name: "", type: "bool" }],
  },
  {
    type: "function",
    name: "order",
    stateMutability: "view",
    inputs: [{ name: "orderId", type: "uint256" }],
    outputs: [
      { name: "owner", type: "address" },
      { name: "meterId", type: "uint32" },
      { name: "amountWh", type: "uint64" },
      { name: "cancelledWh", type: "uint64" },
      { name: "filledWh", type: "uint64" },
    ],
  },
  {
    type: "event",
    name: "OrderPlaced",
    inputs: [
      { name: "orderId", type: "uint256", indexed: true },
      { name: "owner", type: "address", indexed: true },
      { name: "marketId", type: "uint256", indexed: true },
      { name: "meterId", type: "uint32", indexed: false },
      { name: "amountWh", type: "uint64", indexed: false },
      { name: "queueStart", type: "uint64", indexed: false },
    ],
  },
  {
    type: "function",
    name: "marketSellers",
    stateMutability: "view",
    inputs: [
      { name: "marketId", type: "uint256" },
      { name: "offset", type: "uint256" },
      { name: "limit", type: "uint256" },
    ],
    outputs: [
      { name: "page", type: "uint32[]" },
      { name: "total", type: "uint256" },
    ],
  },
  {
    type: "function",
    name: "marketTotals",
    stateMutability: "view",
    inputs: [{ name: "marketId", type: "uint256" }],
    outputs: [
      {
        name: "",
        type: "tuple",
        components: [
          { name: "tradedWh", type: "uint64" },
          { name: "resolvedAskWh", type: "uint64" },
          { name: "tradedValue", type: "uint112" },
          { name: "feeBps", type: "uint16" },
        ],
      },
    ],
  },
  {
    type: "error",
    name: "UnknownOrder",
    inputs: [{ name: "orderId", type: "uint256" }],
  },
  {
    type: "error",
    name: "ReportTooLate",
    inputs: [
      { name: "meterId", type: "uint32" },
      { name: "slotStart", type: "uint40" },
    ],
  },
  {
    type: "error",
    name: "SlotNotEnded",
    inputs: [
      { name: "meterId", type: "uint32" },
      { name: "slotStart", type: "uint40" },
    ],
  },
  {
    type: "error",
    name: "ReportExists",
    inputs: [
      { name: "meterId", type: "uint32" },
      { name: "slotStart", type: "uint40" },
    ],
  },
  {
    type: "event",
    name: "MeterRegistered",
    inputs: [
      { name: "meterId", type: "uint32", indexed: true },
      { name: "owner", type: "address", indexed: true },
      { name: "communityId", type: "uint32", indexed: true },
      { name: "kind", type: "uint8", indexed: false },
      { name: "capacityW", type: "uint32", indexed: false },
      { name: "deviceKey", type: "address", indexed: false },
    ],
  },
  {
    type: "event",
    name: "MeterDeactivated",
    inputs: [{ name: "meterId", type: "uint32", indexed: true }],
  },
  {
    type: "event",
    name: "MeterTransferred",
    inputs: [
      { name: "meterId", type: "uint32", indexed: true },
      { name: "from", type: "address", indexed: true },
      { name: "to", type: "address", indexed: true },
    ],
  },
  {
    type: "event",
    name: "MeterSilent",
    inputs: [
      { name: "meterId", type: "uint32", indexed: true },
      { name: "slotStart", type: "uint40", indexed: true },
    ],
  },
  {
    type: "event",
    name: "MeterReported",
    inputs: [
      { name: "meterId", type: "uint32", indexed: true },
      { name: "slotStart", type: "uint40", indexed: true },
      { name: "importedWh", type: "uint64", indexed: false },
      { name: "exportedWh", type: "uint64", indexed: false },
    ],
  },
] as const;
