package example;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import java.util.ArrayList;

/** RequestHandler<Order, Receipt>: a POJO in and a POJO out. */
public class PojoHandler implements RequestHandler<Order, Receipt> {
    @Override
    public Receipt handleRequest(Order order, Context context) {
        Receipt receipt = new Receipt();
        receipt.orderId = order.getId();
        receipt.skus = new ArrayList<>();
        if (order.getItems() != null) {
            for (Order.Item item : order.getItems()) {
                receipt.total += item.getPrice() * order.getQuantity();
                receipt.skus.add(item.getSku());
            }
        }
        receipt.setExpress(order.isExpress());
        return receipt;
    }
}
