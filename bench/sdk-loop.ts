/**
 * One process, one wx-server-sdk, alternating doc().get() and doc().update()
 * against the CloudBase at argv[2] (an `/admin` URL), sequentially; prints
 * `{ "requests_per_s": n }`, through src/cloud.ts as the functions reach the SDK.
 * Run once against the emulator and once against the null server, the two
 * rates compare only the servers.
 */

const [url, countText] = process.argv.slice(2)
Object.assign(process.env, {
  TCB_CONTEXT_CNFG: JSON.stringify({ URL: url }),
  TCB_ENV: 'probe-env',
  SCF_NAMESPACE: 'probe-env',
  TENCENTCLOUD_SECRETID: 'bench',
  TENCENTCLOUD_SECRETKEY: 'bench',
  // Skips the SDK's metadata-server probe, as inside the emulator's instances.
  TENCENTCLOUD: 'true',
})

async function main(): Promise<void> {
  // The product's one door to wx-server-sdk, loaded once the environment above is in place.
  const { database } = await import('../src/cloud')
  const docs = database().collection('docs')
  const { _id } = (await docs.add({ data: { n: 0 } })) as { _id: string }
  const _ = database().command as any
  const count = Number(countText)
  const run = async (n: number) => {
    for (let i = 0; i < n; i++) {
      if (i % 2 === 0) await docs.doc(_id).get()
      else await docs.doc(_id).update({ data: { n: _.inc(1) } })
    }
  }
  await run(200) // warm
  const started = process.hrtime.bigint()
  await run(count)
  const ms = Number(process.hrtime.bigint() - started) / 1e6
  console.log(JSON.stringify({ requests_per_s: (count / ms) * 1000 }))
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
