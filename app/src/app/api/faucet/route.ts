/**
 * POST /api/faucet {address} — the local chain only: 10 ETH for gas (hardhat_setBalance) and
 * 1,000 test USDC minted by dev account #0, so a burner wallet can trade at once.
 */
import { mockUsdcAbi } from "@powershare/contracts";
import { createWalletClient, http, isAddress, numberToHex, parseEther } from "viem";
import { appConfig, serverEnv } from "@/lib/server-config";

export const dynamic = "force-dynamic";
const DEV_ACCOUNT_0 = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";

export async function POST(req: Request): Promise<Response> {
  const { chainId, rpc } = serverEnv();
  if (chainId !== 31337)
    return Response.json({ error: "the faucet exists on the local chain only" }, { status: 404 });
  const { address } = (await req.json().catch(() => ({}))) as { address?: string };
  if (!address || !isAddress(address))
    return Response.json({ error: "address must be a 0x address" }, { status: 400 });
  const cfg = appConfig();
  const wallet = createWalletClient({ transport: http(rpc) });
  try {
    await wallet.request({
      method: "hardhat_setBalance" as never,
      params: [address, numberToHex(parseEther("10"))] as never,
    });
    await wallet.writeContract({
      account: DEV_ACCOUNT_0,
      chain: null,
      address: cfg.contracts.quoteToken,
      abi: mockUsdcAbi,
      functionName: "mint",
      args: [address, 1_000_000_000n],
    });
    return Response.json({ ok: true, eth: "10", usdc: "1000" });
  } catch (e) {
    return Response.json({ error: (e as Error).message.split("\n")[0] }, { status: 502 });
  }
}
