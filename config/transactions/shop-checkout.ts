/**
 * Buys a bag of espresso beans in the lab shop (lab/shop.ts): sign in, add to cart, check out and
 * pay through the payment vendor. Run it from a browser check with `base_url` set to the shop.
 * A model for your own transactions: plain Playwright, one `step` per thing a user does.
 */
import type { Transaction } from '../../agent/probe/checks/browser/run.ts';

const checkout: Transaction = async ({ page, step }) => {
  await step('sign in', async () => {
    await page.goto('/');
    await page.getByLabel('User').fill(process.env.SHOP_USER ?? 'demo');
    await page.getByLabel('Password').fill(process.env.SHOP_PASSWORD ?? 'demo');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Espresso beans' }).waitFor();
  });

  await step('add to cart', async () => {
    await page.getByRole('button', { name: 'Add to cart' }).click();
    await page.getByRole('heading', { name: 'Your cart' }).waitFor();
  });

  await step('checkout', async () => {
    await page.getByRole('link', { name: 'Checkout' }).click();
    await page.getByRole('button', { name: 'Pay' }).waitFor();
  });

  await step('pay', async () => {
    await page.getByRole('button', { name: 'Pay' }).click();
    // Either the thank-you page or the shop's error; fail fast with the shop's own words.
    const thanks = page.getByRole('heading', { name: 'Thank you' });
    const error = page.getByRole('alert');
    await thanks.or(error).waitFor();
    if (await error.isVisible()) throw new Error(`the shop says: ${await error.textContent()}`);
  });
};

export default checkout;
