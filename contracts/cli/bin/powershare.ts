#!/usr/bin/env node
import { main } from "../src/main.ts";

const code = await main(process.argv.slice(2));
// Let stdout drain before exiting (piped output).
process.stdout.write("", () => process.exit(code));
